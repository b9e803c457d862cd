"""The bodies and Standard Webhooks headers ingest's hostile cases are built from."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ingest.support import ACME_KEY, T0, sign

from .families import SOME_ID


def signed(
    key: bytes = ACME_KEY, at: datetime = T0, msg_id: str = "msg_hostile", over: bytes | None = None
) -> Callable[[bytes], Mapping[str, str]]:
    """Standard Webhooks headers for the body sent (or, with `over`, for other bytes)."""

    def headers(body: bytes) -> dict[str, str]:
        stamp = int(at.timestamp())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(key, msg_id, stamp, body if over is None else over),
        }

    return headers


# Every body gets an event id of its own: a case must not meet another case's event (a 409)
# or be a repeat of it (a 200), whatever the order the cases run in.
EVENT_IDS = itertools.count()


def fresh_id(kind: str) -> str:
    return f"hostile-{kind}-{next(EVENT_IDS)}"


def event(**changes: Any) -> dict[str, Any]:
    body = {
        "event_name": "INVITE_SENT",
        "event_id": fresh_id("invite"),
        "timestamp": (T0 - timedelta(minutes=1)).isoformat(),
        "user_id": "hostile-prospect",
        "source": "ig",
        "properties": {"channel": "ig"},
    }
    return {**body, **changes}


def purchase(amount: Any) -> dict[str, Any]:
    properties = {"amount": amount, "currency": "EUR", "product_ids": ["starter"]}
    return event(event_name="PURCHASED", event_id=fresh_id("purchase"), properties=properties)


def dm(**changes: Any) -> dict[str, Any]:
    body = {
        "event_id": fresh_id("dm"),
        "account_id": "acme",
        "platform": "ig",
        "sender": {"id": "178414000", "handle": "@hostile"},
        "text": "Hi!",
        "timestamp": (T0 - timedelta(minutes=1)).isoformat(),
    }
    return {**body, **changes}


def lead(**changes: Any) -> dict[str, Any]:
    body = {
        "event_id": fresh_id("lead"),
        "account_id": "acme",
        "event_time": int(T0.timestamp()) - 60,
        "user_data": {"em": "lead@example.com", "fn": "Lea"},
    }
    return {**body, **changes}


def claim(**identities: Any) -> dict[str, Any]:
    return {"account_id": "acme", "customer_id": SOME_ID, "identities": identities}


# Past Python's int-to-text limit (4300 digits), so written as text here.
FIVE_THOUSAND_DIGITS = (
    json.dumps(event(properties={"channel": "ig", "score": 0}))
    .replace('"score": 0', '"score": ' + "9" * 5000)
    .encode()
)
