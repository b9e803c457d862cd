"""The accounts file changed under the running system (docs/domain.md, Accounts): every
service takes a new account, a removed webhook secret and a broken file within 10 seconds of
the change, without a restart.

The file is the system's own (`.local/accounts.json`), so the test keeps a copy and writes
it back whatever happens; before that it waits until the rules service has applied what the
new account's webhooks caused, since an event of an account no longer in the file is
dead-lettered there. Files are written as an editor or the launcher saves them: beside the
file, then renamed over it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from crm_backtest.client import mint_token, monotonic, signature_headers
from crm_backtest.readings import poll
from crm_devstack.gateway_routes import SERVICE_PORTS
from crm_devstack.settings import HOST, StackConfig
from crm_rules.consumer import CONSUMED as RULES_CONSUMED

from .conftest import System

SERVICES = tuple(SERVICE_PORTS)
MISSING = [s for s in SERVICES if not (Path(sys.executable).parent / f"crm-{s}").exists()]
# docs/domain.md, Accounts: a change takes effect within 10 seconds.
PROMISED_S = 10.0
# An authenticated read of each service, through the gateway.
READS = {
    "ingest": "/hooks/deliveries",
    "customers": "/customers",
    "rules": "/reminders",
    "nba": "/nba",
    "stats": "/events",
}
# How long the new account's events may take to reach the rules service before the file is
# written back (a slow shared machine is no failure).
SETTLE_S = 120.0

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"services not installed: {MISSING}"),
    pytest.mark.timeout(600),
]


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def write_into_place(path: Path, text: str) -> None:
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    staged.write_text(text)
    os.replace(staged, path)


def with_account(original: str, account: dict[str, Any]) -> str:
    document = json.loads(original)
    document["accounts"] = [*document["accounts"], account]
    return json.dumps(document, indent=2) + "\n"


async def within(
    promised_s: float, read: Callable[[], Awaitable[Any]], matches: Callable[[Any], bool]
) -> Any:
    """The first reading that matches, polled until `promised_s` from now; the last one if
    none did (for the assert to show)."""
    reading, _ = await poll(read, matches, monotonic() + promised_s, every=(0.1, 0.5))
    return reading


@pytest.fixture
async def http(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=system.api, timeout=10.0) as client:
        yield client


async def test_new_accounts_removed_secrets_and_a_broken_file_are_followed_without_a_restart(
    system: System, http: httpx.AsyncClient
) -> None:
    path = system.state_dir / "accounts.json"
    original = path.read_text()
    account_id = f"reload-{uuid.uuid4().hex[:10]}"
    removed, kept = new_webhook_secret(), new_webhook_secret()
    entry: dict[str, Any] = {
        "account_id": account_id,
        "time_zone": "UTC",
        "webhook_secrets": [removed, kept],
    }
    token = mint_token(system.credentials.jwt_secret, account_id)

    async def answers() -> dict[str, int]:
        headers = {"authorization": f"Bearer {token}"}
        found = {}
        for service, route in READS.items():
            response = await http.get(route, params={"limit": 1}, headers=headers)
            found[service] = response.status_code
        return found

    async def dm(secret: str, event_id: str) -> httpx.Response:
        body = {
            "event_id": event_id,
            "account_id": account_id,
            "platform": "ig",
            "sender": {"id": event_id, "handle": f"@{event_id.replace('-', '_')}", "name": "R T"},
            "text": "Hi! Tell me more",
            "timestamp": datetime.now(UTC).isoformat(),
        }
        raw = json.dumps(body)
        headers = signature_headers(secret, f"msg-{event_id}", raw)
        return await http.post("/hooks/dm", content=raw.encode(), headers=headers)

    async def readiness() -> dict[str, dict[str, str]]:
        found = {}
        async with httpx.AsyncClient(timeout=10.0) as direct:
            for service, port in SERVICE_PORTS.items():
                ready = await direct.get(f"http://{HOST}:{port}/health/ready")
                found[service] = ready.json()["checks"].get("accounts", {})
        return found

    everyone = dict.fromkeys(SERVICES, 200)
    try:
        assert await answers() == dict.fromkeys(SERVICES, 401)

        # A new account: every service takes its token.
        write_into_place(path, with_account(original, entry))
        assert await within(PROMISED_S, answers, lambda found: found == everyone) == everyone

        # One of its two webhook secrets removed: refused, the other still accepted.
        write_into_place(path, with_account(original, {**entry, "webhook_secrets": [kept]}))
        first = f"reload-removed-{uuid.uuid4().hex[:8]}"
        refused = await within(
            PROMISED_S, lambda: dm(removed, first), lambda answer: answer.status_code == 401
        )
        assert refused.status_code == 401, refused.text
        accepted = await dm(kept, f"reload-kept-{uuid.uuid4().hex[:8]}")
        assert accepted.status_code == 202, accepted.text

        # A broken file: every service reports it and goes on with the last good accounts.
        write_into_place(path, original.rstrip()[:-1] + ",\n")
        reports = await within(
            PROMISED_S,
            readiness,
            lambda found: all(check.get("status") == "degraded" for check in found.values()),
        )
        assert {s: check.get("status") for s, check in reports.items()} == dict.fromkeys(
            SERVICES, "degraded"
        )
        assert all("not valid YAML or JSON" in check["error"] for check in reports.values())
        assert await answers() == everyone
        assert (await dm(removed, first)).status_code == 401

        await _rules_applied_everything_of(system, http, token, account_id)
    finally:
        write_into_place(path, original)

    # Back to the file as it was: the report is clear again and the account is gone.
    cleared = await within(
        PROMISED_S,
        readiness,
        lambda found: all(check.get("status") == "ok" for check in found.values()),
    )
    assert cleared == {service: {"status": "ok"} for service in SERVICES}
    gone = dict.fromkeys(SERVICES, 401)
    assert await within(PROMISED_S, answers, lambda found: found == gone) == gone


async def _rules_applied_everything_of(
    system: System, http: httpx.AsyncClient, token: str, account_id: str
) -> None:
    """Wait until the rules service applied every event of the account it takes (stats logs
    them all, the customers service's CUSTOMER_CREATED included), so none of them meets the
    account gone from the file."""
    server = StackConfig.from_env(system.state_dir).endpoints.postgres_url.rsplit("/", 1)[0]
    rules = await asyncpg.connect(f"{server}/rules")
    try:

        async def pending() -> set[str] | None:
            logged = await http.get(
                "/events", params={"limit": 500}, headers={"authorization": f"Bearer {token}"}
            )
            items = logged.json()["items"]
            if not any(item["event_name"] == "CUSTOMER_CREATED" for item in items):
                return None
            # No person acts here: the rules take neither their own REMINDER_* nor the
            # STATUS_CHANGED that follow a fact (a person's only; the replay folds the fact).
            wanted = {
                i["event_id"]
                for i in items
                if i["event_name"] in RULES_CONSUMED
                and not i["event_name"].startswith("REMINDER_")
                and i["event_name"] != "STATUS_CHANGED"
            }
            rows = await rules.fetch(
                "SELECT event_id FROM processed_events WHERE account_id = $1", account_id
            )
            return wanted - {row["event_id"] for row in rows}

        left = await within(SETTLE_S, pending, lambda found: found == set())
        assert left == set(), f"not applied by the rules service: {left}"
    finally:
        await rules.close()
