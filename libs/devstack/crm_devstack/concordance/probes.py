"""Sample incoming events judged by the earlier schema and by today's, to show what changed.

Today's verdict is IncomingEvent's own. The earlier verdict applies what events.json asserts
(its required fields, the event_name enum, string fields, properties an object, other
top-level fields allowed since it does not forbid them), so neither side is hand-written.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from crm_devstack.concordance import sources as src
from crm_devstack.concordance.sources import Json
from crm_schemas.envelope import IncomingEvent

_AT = "2026-11-02T09:00:00+00:00"
_LEGACY_STRING_FIELDS = ("event_name", "event_id", "user_id", "account_id", "timestamp", "source")


def _event(name: str, properties: Json | None = None, **fields: Any) -> Json:
    payload: Json = {"event_name": name, "event_id": f"probe-{name.lower()}", "timestamp": _AT}
    payload.update(fields)
    if properties is not None:
        payload["properties"] = properties
    return payload


# (what the sample shows, the payload)
PROBES: tuple[tuple[str, Json], ...] = (
    ("only the fields the earlier schema required", _event("DM_STARTED")),
    ("a DM from a known platform user", _event("DM_STARTED", user_id="ig-1", source="ig")),
    (
        "MESSAGE_RECEIVED, not in the earlier enum",
        _event("MESSAGE_RECEIVED", {"channel": "ig"}, user_id="ig-1"),
    ),
    ("VIDEO_SENT, not in the earlier enum", _event("VIDEO_SENT", {}, user_id="ig-1")),
    ("MEETING_BOOKED without booking_time", _event("MEETING_BOOKED", {}, user_id="ig-1")),
    (
        "MEETING_BOOKED with booking_time",
        _event("MEETING_BOOKED", {"booking_time": _AT}, user_id="ig-1"),
    ),
    (
        "PURCHASED with the deal's single product and no product_ids",
        _event("PURCHASED", {"amount": 49, "currency": "EUR", "product": "p-1"}, user_id="ig-1"),
    ),
    (
        "PURCHASED with the CAPI Purchase fields",
        _event(
            "PURCHASED",
            {"amount": 49, "currency": "EUR", "product_ids": ["p-1"]},
            user_id="ig-1",
        ),
    ),
    ("source system sent by a client", _event("JOINED_TEAM", user_id="ig-1", source="system")),
    ("a source outside the earlier list", _event("JOINED_TEAM", user_id="ig-1", source="tiktok")),
    (
        "an extra top-level field",
        _event("UNSUBSCRIBED", user_id="ig-1", deal_id="d-1"),
    ),
    ("CUSTOMER_CREATED sent by a client", _event("CUSTOMER_CREATED", {}, user_id="ig-1")),
    (
        "LEAD_QUALIFIED known only by a hashed email (as CAPI sends em)",
        _event("LEAD_QUALIFIED", {}, contact={"email_sha256": "ab" * 32}),
    ),
)


def legacy_accepts(payload: Json) -> bool:
    if any(field not in payload for field in src.LEGACY_REQUIRED):
        return False
    if payload["event_name"] not in src.LEGACY_EVENT_NAMES:
        return False
    if any(not isinstance(payload[f], str) for f in _LEGACY_STRING_FIELDS if f in payload):
        return False
    return isinstance(payload.get("properties", {}), dict)


def verdict_now(payload: Json) -> tuple[bool, str]:
    """(accepted, the first reason it was refused)."""
    try:
        IncomingEvent.model_validate(payload)
    except ValidationError as refused:
        first = refused.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return False, f"{where}: {first['msg']}" if where else first["msg"]
    return True, ""


def probes() -> list[Json]:
    judged = []
    for case, payload in PROBES:
        accepted, reason = verdict_now(payload)
        judged.append(
            {
                "case": case,
                "payload": payload,
                "legacy": "accepted" if legacy_accepts(payload) else "rejected",
                "now": "accepted" if accepted else "rejected",
                "now_reason": reason,
            }
        )
    return judged
