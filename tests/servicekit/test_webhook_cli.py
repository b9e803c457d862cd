"""`crm webhook meta|calendly|calcom|post` against a real local HTTP server that records what
arrives and checks the signature the way each provider documents it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from crm_servicekit.cli import app
from crm_servicekit.clock import SYSTEM_CLOCK

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records each POST and answers `status` (202 unless a test changes it)."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    status: int = 202

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recording = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            recording.received.append(Received(self.path, headers, body))
            answer = json.dumps({"status": "recorded"}).encode()
            self.send_response(recording.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads what was recorded."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recording.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recording
    finally:
        server.shutdown()
        server.server_close()


def hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_meta_signs_the_exact_bytes_with_the_app_secret(receiver: Receiver) -> None:
    payload = FIXTURES / "meta_leadgen.json"

    result = runner.invoke(
        app,
        ["webhook", "meta", "--json", f"@{payload}", "--api", receiver.api],
        env={"META_APP_SECRET": "meta-app-secret"},
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("202 ")
    [request] = receiver.received
    assert request.path == "/api/hooks/meta"
    assert request.body == payload.read_bytes()
    expected = "sha256=" + hex_hmac("meta-app-secret", payload.read_bytes())
    assert hmac.compare_digest(request.headers["x-hub-signature-256"], expected)
    assert request.headers["content-type"] == "application/json"


def test_calendly_signs_timestamp_dot_body_with_the_signing_key(receiver: Receiver) -> None:
    payload = FIXTURES / "calendly_invitee_created.json"

    result = runner.invoke(
        app,
        [
            "webhook",
            "calendly",
            "--account",
            "acme",
            "--json",
            f"@{payload}",
            "--signing-key",
            "calendly-key",
            "--api",
            receiver.api,
        ],
    )

    assert result.exit_code == 0, result.output
    [request] = receiver.received
    assert request.path == "/api/hooks/calendly/acme"
    assert request.body == payload.read_bytes()
    parts = dict(
        part.split("=", 1) for part in request.headers["calendly-webhook-signature"].split(",")
    )
    assert set(parts) == {"t", "v1"}
    # Signed now: inside the 5 minutes a receiver accepts (measured here, after the send).
    assert abs(int(parts["t"]) - int(SYSTEM_CLOCK.now().timestamp())) < 300
    expected = hex_hmac("calendly-key", f"{parts['t']}.".encode() + request.body)
    assert hmac.compare_digest(parts["v1"], expected)


def test_calcom_signs_the_body_with_the_secret(receiver: Receiver) -> None:
    payload = FIXTURES / "calcom_booking_created.json"

    result = runner.invoke(
        app,
        [
            "webhook",
            "calcom",
            "--account",
            "acme team",
            "--json",
            f"@{payload}",
            "--api",
            receiver.api,
        ],
        env={"CALCOM_WEBHOOK_SECRET": "calcom-secret"},
    )

    assert result.exit_code == 0, result.output
    [request] = receiver.received
    assert request.path == "/api/hooks/calcom/acme%20team"
    assert request.body == payload.read_bytes()
    expected = hex_hmac("calcom-secret", payload.read_bytes())
    assert hmac.compare_digest(request.headers["x-cal-signature-256"], expected)


def test_post_signs_as_a_standard_webhook(receiver: Receiver) -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"event_id": "cli-1", "account_id": "demo"}'

    result = runner.invoke(
        app,
        ["webhook", "post", "/hooks/dm", "--json", body, "--secret", secret, "--api", receiver.api],
    )

    assert result.exit_code == 0, result.output
    [request] = receiver.received
    assert request.path == "/api/hooks/dm"
    verified = Webhook(secret).verify(request.body, request.headers)
    assert verified == json.loads(body)


def test_a_refusal_is_printed_and_fails_the_command(receiver: Receiver) -> None:
    receiver.status = 401

    result = runner.invoke(
        app,
        [
            "webhook",
            "meta",
            "--json",
            '{"object": "page", "entry": []}',
            "--app-secret",
            "wrong",
            "--api",
            receiver.api,
        ],
    )

    assert result.exit_code == 1
    assert result.stdout.startswith("401 ")
    assert len(receiver.received) == 1


def test_a_body_that_is_not_json_is_refused_before_sending(receiver: Receiver) -> None:
    result = runner.invoke(
        app,
        [
            "webhook",
            "calcom",
            "--account",
            "acme",
            "--json",
            "{not json",
            "--secret",
            "s",
            "--api",
            receiver.api,
        ],
    )

    assert result.exit_code == 2
    assert "not JSON" in result.output
    assert receiver.received == []


def test_an_api_that_cannot_be_reached_fails_the_command_with_a_message() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]
    # The port was free a moment ago and nothing listens on it now.
    result = runner.invoke(
        app,
        [
            "webhook",
            "meta",
            "--json",
            "{}",
            "--app-secret",
            "s",
            "--api",
            f"http://127.0.0.1:{port}/api",
        ],
    )

    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:" in result.output
