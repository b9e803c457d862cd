"""Envelopes for the customers tests: facts from outside at chosen times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_schemas.catalog import EventName
from crm_schemas.contact import Consent
from crm_schemas.envelope import EventEnvelope

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PROPERTIES: dict[EventName, dict[str, Any]] = {
    EventName.MESSAGE_RECEIVED: {"channel": "ig"},
    EventName.MESSAGE_SENT: {"channel": "ig"},
    EventName.MEETING_BOOKED: {"booking_time": (T + timedelta(days=1)).isoformat()},
    EventName.PURCHASED: {"amount": "10", "currency": "EUR", "product_ids": ["p1"]},
}


def fact_event(
    name: EventName,
    at: timedelta = timedelta(0),
    *,
    customer: uuid.UUID | None = None,
    account: str = "acme",
    event_id: str | None = None,
    messaging: bool | None = None,
    contact: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    source: str = "ig",
) -> EventEnvelope:
    return EventEnvelope(
        event_name=name,
        event_id=event_id or f"evt-{uuid.uuid4().hex[:12]}",
        timestamp=T + at,
        account_id=account,
        customer_id=customer or uuid.uuid4(),
        source=source,
        properties=properties if properties is not None else PROPERTIES.get(name, {}),
        consent=Consent(messaging=messaging) if messaging is not None else None,
        contact=contact,
        received_at=T + at,
        producer="tests",
    )


def nba_changed(
    customer: uuid.UUID,
    title: str,
    at: timedelta,
    *,
    action: str = "rebook",
    due: timedelta | None = None,
    account: str = "acme",
) -> EventEnvelope:
    """The NBA service's recommendation for a customer, as the mirror reads it."""
    recommendation = {
        "customer_id": str(customer),
        "action": action,
        "title": title,
        "reason": "no-show" if action == "rebook" else "the conversation goes on",
        "priority": 90,
        "urgency": "critical",
        "due_at": (T + (at if due is None else due)).isoformat(),
        "computed_at": (T + at).isoformat(),
    }
    return EventEnvelope(
        event_name=EventName.NBA_CHANGED,
        event_id=f"nba-{uuid.uuid4()}",
        timestamp=T + at,
        account_id=account,
        customer_id=customer,
        source="system",
        properties={"recommendation": recommendation},
        received_at=T + at,
        producer="nba",
    )
