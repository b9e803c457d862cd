"""From what the rules intend to what changes: the REMINDER_* decisions of one cause.

Pure, like policy.py. Cancellations and completions come before creations and reschedules.
A reminder closed in the replay that was never stored is not created at all (DOMAIN.md's
out-of-order rule: a later fact already took it away), and a stored reminder that is
completed or canceled never changes again; an open automated one the replay no longer
knows is canceled.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crm_rules.policy import Intended
from crm_rules.reminder import Reminder, ReminderStatus
from crm_schemas.catalog import EventName


class Change(StrEnum):
    CANCEL = "cancel"
    COMPLETE = "complete"
    CREATE = "create"
    RESCHEDULE = "reschedule"

    @property
    def event_name(self) -> EventName:
        return _EVENT_OF[self]


_EVENT_OF = {
    Change.CANCEL: EventName.REMINDER_CANCELED,
    Change.COMPLETE: EventName.REMINDER_COMPLETED,
    Change.CREATE: EventName.REMINDER_CREATED,
    Change.RESCHEDULE: EventName.REMINDER_RESCHEDULED,
}


@dataclass(frozen=True)
class Decision:
    change: Change
    reminder: Reminder  # as it stands after the change
    previous_scheduled_for: datetime | None = None


def decide(
    account_id: str,
    customer_id: uuid.UUID,
    intended: Mapping[uuid.UUID, Intended],
    stored: Mapping[uuid.UUID, Reminder],
    at: datetime,
) -> list[Decision]:
    """The changes that bring the stored reminders to what the rules intend, at `at`."""
    closing: list[Decision] = []
    making: list[Decision] = []
    for rid, kept in stored.items():
        if kept.is_open and kept.automated and rid not in intended:
            # A late, earlier event now owns this reminder under its own identity (the
            # follow_up_7d made by the first activity): the stand-in goes.
            closing.append(Decision(Change.CANCEL, canceled(kept, at, "superseded")))
    for rid, want in intended.items():
        have = stored.get(rid)
        if have is None:
            if want.is_open:
                making.append(Decision(Change.CREATE, _new(account_id, customer_id, want)))
            continue
        if not have.is_open:
            continue
        if want.status is ReminderStatus.COMPLETED:
            closed = have.model_copy(
                update={
                    "status": ReminderStatus.COMPLETED,
                    "closed_at": want.closed_at,
                    "completed_by": want.completed_by,
                }
            )
            closing.append(Decision(Change.COMPLETE, closed))
        elif want.status is ReminderStatus.CANCELED:
            closing.append(
                Decision(Change.CANCEL, canceled(have, want.closed_at, want.cancel_reason))
            )
        elif want.scheduled_for != have.rule_scheduled_for:
            moved = have.model_copy(
                update={
                    "scheduled_for": want.scheduled_for,
                    "rule_scheduled_for": want.scheduled_for,
                    "trigger_event_id": want.trigger_event_id,
                }
            )
            making.append(Decision(Change.RESCHEDULE, moved, have.scheduled_for))
    return closing + making


def cancel_all(stored: Iterable[Reminder], at: datetime, reason: str) -> list[Decision]:
    """Deletion: every open reminder of the customer is canceled."""
    return [
        Decision(Change.CANCEL, canceled(reminder, at, reason))
        for reminder in stored
        if reminder.is_open
    ]


def canceled(reminder: Reminder, at: datetime | None, reason: str | None) -> Reminder:
    return reminder.model_copy(
        update={"status": ReminderStatus.CANCELED, "closed_at": at, "cancel_reason": reason}
    )


def _new(account_id: str, customer_id: uuid.UUID, want: Intended) -> Reminder:
    return Reminder(
        id=want.id,
        account_id=account_id,
        customer_id=customer_id,
        type=want.type,
        rule=want.rule,
        trigger_event_id=want.trigger_event_id,
        automated=want.automated,
        message=want.message,
        scheduled_for=want.scheduled_for,
        rule_scheduled_for=want.scheduled_for,
        created_at=want.created_at,
    )
