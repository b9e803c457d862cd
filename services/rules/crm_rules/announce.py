"""REMINDER_* events: each change of a reminder, announced with a deterministic id."""

from __future__ import annotations

from datetime import datetime

from crm_rules.decisions import Change, Decision
from crm_rules.reminder import Reminder
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_events import system_event

PRODUCER = "rules"


def announcement(
    decision: Decision,
    *,
    cause_event_id: str,
    at: datetime,
    received_at: datetime,
    actor_id: str | None = None,
) -> EventEnvelope:
    """The event of one decision; its id is a UUIDv5 of (account, cause, kind, reminder), so
    handling the same cause again (or rebuilding) announces the very same event."""
    reminder = decision.reminder
    reason = reminder.cancel_reason if decision.change is Change.CANCEL else None
    return system_event(
        name=decision.change.event_name,
        account_id=reminder.account_id,
        customer_id=reminder.customer_id,
        properties=reminder.as_event(
            previous_scheduled_for=decision.previous_scheduled_for, reason=reason
        ),
        cause_event_id=cause_event_id,
        timestamp=at,
        producer=PRODUCER,
        received_at=received_at,
        discriminator=str(reminder.id),
        actor_id=actor_id,
    )


def due_notice(reminder: Reminder, *, received_at: datetime) -> EventEnvelope:
    """REMINDER_DUE: timestamped at scheduled_for; one per (reminder, scheduled_for)."""
    return system_event(
        name=EventName.REMINDER_DUE,
        account_id=reminder.account_id,
        customer_id=reminder.customer_id,
        properties=reminder.as_event(),
        cause_event_id=str(reminder.id),
        timestamp=reminder.scheduled_for,
        producer=PRODUCER,
        received_at=received_at,
        discriminator=reminder.scheduled_for.isoformat(),
    )
