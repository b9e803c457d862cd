"""Small builders of facts and envelopes for the schema tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from crm_schemas.catalog import EventName
from crm_schemas.fold import Fact, PersonMove
from crm_schemas.pipeline import Status

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CUSTOMER = UUID("7d6f2a8c-0d1e-4a55-9b1f-3f1c2e4d5a6b")


def fact(
    name: EventName,
    minutes: float = 0,
    *,
    event_id: str | None = None,
    messaging: bool | None = None,
    booking_time: datetime | None = None,
    booking_id: str | None = None,
    move_to: Status | None = None,
) -> Fact:
    return Fact(
        event_id=event_id or f"{name.value}-{minutes}",
        event_name=name,
        timestamp=T0 + timedelta(minutes=minutes),
        consent_messaging=messaging,
        booking_time=booking_time,
        booking_id=booking_id,
        person_move=PersonMove(status=move_to) if move_to else None,
    )


def envelope_data(name: EventName, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "event_name": name.value,
        "event_id": f"evt-{name.value.lower()}",
        "timestamp": "2026-11-02T09:00:00+01:00",
        "account_id": "acme",
        "customer_id": str(CUSTOMER),
        "source": "system" if name.value.startswith(("CUSTOMER", "STATUS")) else "ig",
        "properties": properties or {},
        "received_at": "2026-11-02T08:00:01Z",
        "producer": "tests",
    }
