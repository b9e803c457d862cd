"""A person's actions on reminders, read back from the topic when the store is rebuilt.

The API applies an action to the store and announces it (REMINDER_* with the person as
actor), marking the announcement as processed in the same transaction, so the live service
never applies its own announcement twice. A rebuild starts from an empty store: there the
announcement is new, and applying it in the topic's order gives the reminder back the state
the action left it in.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from crm_rules.policy.decisions import canceled
from crm_rules.policy.reminder import (
    CANCELED_BY_PERSON,
    Reminder,
    ReminderStatus,
    manual_reminder,
)
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import CompletedBy, ReminderEvent


def restored(event: EventEnvelope, reminders: Mapping[UUID, Reminder]) -> Reminder | None:
    """The reminder after the person's action, given the customer's stored `reminders`; None
    when the store already shows it (or there is nothing it could apply to)."""
    told = ReminderEvent.model_validate(event.properties)
    stored = reminders.get(told.reminder_id)
    at = event.timestamp
    if event.event_name is EventName.REMINDER_CREATED:
        if stored is not None or told.automated:
            return None
        assert event.customer_id is not None
        return manual_reminder(
            event.account_id,
            event.customer_id,
            told.trigger_event_id,
            told.scheduled_for,
            told.message,
            created_at=at,
        )
    if stored is None or not stored.is_open:
        return None  # closing is final, and a closed reminder is never snoozed
    if event.event_name is EventName.REMINDER_COMPLETED:
        return stored.model_copy(
            update={
                "status": ReminderStatus.COMPLETED,
                "closed_at": at,
                "completed_by": told.completed_by or CompletedBy.PERSON,
            }
        )
    if event.event_name is EventName.REMINDER_CANCELED:
        return canceled(stored, at, told.reason or CANCELED_BY_PERSON)
    if told.scheduled_for == stored.scheduled_for:
        return None
    return stored.model_copy(update={"scheduled_for": told.scheduled_for})  # a snooze
