"""What the rules emit: each change of a reminder, and REMINDER_DUE, with deterministic ids.

A person's actions come back on the topic as this service's own announcements; they are
recognized here, where their shape is made.
"""

from __future__ import annotations

from datetime import datetime

from crm_rules.policy.decisions import Change, Decision
from crm_rules.policy.reminder import Reminder
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope

PRODUCER = "rules"

PERSON_REMINDER_EVENTS: frozenset[EventName] = frozenset(
    {
        EventName.REMINDER_CREATED,
        EventName.REMINDER_RESCHEDULED,
        EventName.REMINDER_COMPLETED,
        EventName.REMINDER_CANCELED,
    }
)


def announcement(decision: Decision, cause: Cause) -> EventEnvelope:
    """The event of one decision; its id is a UUIDv5 of (account, cause, kind, reminder), so
    handling the same cause again (or rebuilding) announces the very same event."""
    reminder = decision.reminder
    reason = reminder.cancel_reason if decision.change is Change.CANCEL else None
    return cause.event(
        decision.change.event_name,
        producer=PRODUCER,
        account_id=reminder.account_id,
        customer_id=reminder.customer_id,
        properties=reminder.as_event(
            previous_scheduled_for=decision.previous_scheduled_for, reason=reason
        ),
        discriminator=str(reminder.id),
    )


def due_notice(reminder: Reminder, *, received_at: datetime) -> EventEnvelope:
    """REMINDER_DUE: caused by the reminder's time coming, timestamped at scheduled_for; one
    per (reminder, scheduled_for), so a snoozed reminder is announced due again."""
    cause = Cause(
        event_id=str(reminder.id),
        event_name=EventName.REMINDER_DUE.value,
        timestamp=reminder.scheduled_for,
        received_at=received_at,
    )
    return cause.event(
        EventName.REMINDER_DUE,
        producer=PRODUCER,
        account_id=reminder.account_id,
        customer_id=reminder.customer_id,
        properties=reminder.as_event(),
        discriminator=reminder.scheduled_for.isoformat(),
    )


def is_person_action(event: EventEnvelope) -> bool:
    """This service's announcement of something a person did through the API."""
    return (
        event.event_name in PERSON_REMINDER_EVENTS
        and event.actor_id is not None
        and event.producer == PRODUCER
    )
