"""Standard Webhooks signatures on the raw body, with the injected clock (pure)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from crm_ingest.policy.signatures import SignatureRefused, verify_signature

from .support import sign

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
KEY, OLD_KEY, OTHER = b"k" * 32, b"o" * 32, b"x" * 32
BODY = b'{"event_id":"e1","account_id":"acme"}'
TOLERANCE = timedelta(minutes=5)


def headers(key: bytes = KEY, at: datetime = NOW, body: bytes = BODY) -> dict[str, str]:
    stamp = int(at.timestamp())
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(key, "msg_1", stamp, body),
    }


def check(given: dict[str, str], keys: tuple[bytes, ...] = (KEY,), body: bytes = BODY) -> None:
    verify_signature(body, given, keys, now=NOW, tolerance=TOLERANCE)


def test_our_signature_is_the_libraries() -> None:
    secret = "whsec_" + base64.b64encode(KEY).decode()
    stamp = int(NOW.timestamp())
    assert sign(KEY, "msg_1", stamp, BODY) == Webhook(secret).sign("msg_1", NOW, BODY.decode())


def test_a_valid_signature_passes() -> None:
    check(headers())


def test_any_of_the_accounts_secrets_passes() -> None:
    check(headers(OLD_KEY), keys=(KEY, OLD_KEY))


def test_one_of_several_signatures_may_match() -> None:
    given = headers()
    given["webhook-signature"] = (
        f"{sign(OTHER, 'msg_1', int(NOW.timestamp()), BODY)} " + (given["webhook-signature"])
    )
    check(given)


@pytest.mark.parametrize(
    "given",
    [
        headers(OTHER),
        headers(at=NOW - timedelta(minutes=6)),
        headers(at=NOW + timedelta(minutes=6)),
        headers(body=json.dumps({"event_id": "e2"}).encode()),
        {k: v for k, v in headers().items() if k != "webhook-signature"},
        {k: v for k, v in headers().items() if k != "webhook-timestamp"},
        {},
        {**headers(), "webhook-timestamp": "soon"},
        {**headers(), "webhook-signature": "v1"},
        {**headers(), "webhook-signature": "v1,not base64!"},
        {**headers(), "webhook-signature": "v2," + headers()["webhook-signature"][3:]},
        {**headers(), "webhook-timestamp": "99999999999999999999"},
    ],
    ids=[
        "wrong-secret",
        "6-minutes-old",
        "6-minutes-ahead",
        "tampered-body",
        "no-signature",
        "no-timestamp",
        "no-headers",
        "bad-timestamp",
        "empty-signature",
        "bad-base64",
        "unknown-version",
        "huge-timestamp",
    ],
)
def test_anything_else_is_refused(given: dict[str, str]) -> None:
    with pytest.raises(SignatureRefused):
        check(given)


def test_no_secrets_means_nothing_verifies() -> None:
    with pytest.raises(SignatureRefused):
        check(headers(), keys=())
