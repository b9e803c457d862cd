"""From what the rules intend to what changes: the REMINDER_* decisions of one cause.

Pure, like the replay. Cancellations and completions come before creations and reschedules.
A reminder closed in the replay that was never stored is not created at all (docs/domain.md's
out-of-order rule: a later fact already took it away), and a stored reminder that is
completed or canceled never changes again. The follow_up_7d is matched by role rather
than by id: the customer's one open inactivity reminder stays that one reminder (its id
kept) whichever activity arrived first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crm_rules.policy.reminder import Reminder, ReminderStatus, reminder_identity
from crm_rules.policy.rules import Intended
from crm_schemas.catalog import EventName
from crm_schemas.system_properties import ReminderRule, ReminderType

LATE_EVENT = "late_event"


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
    decisions = [
        decision
        for want in intended.values()
        if want.rule is not ReminderRule.INACTIVITY
        for decision in _towards(account_id, customer_id, want, stored.get(want.id))
    ]
    decisions += [
        # Its trigger, judged again with a late event in place, makes nothing after all.
        Decision(Change.CANCEL, canceled(have, at, LATE_EVENT))
        # In the order they were made: `stored` comes in whatever order the store read it.
        for have in sorted(stored.values(), key=_made_order)
        if have.is_open and have.automated and have.rule is not _IDLE and have.id not in intended
    ]
    decisions += _inactivity(account_id, customer_id, intended, stored, at)
    closing = [d for d in decisions if d.change in (Change.CANCEL, Change.COMPLETE)]
    return closing + [d for d in decisions if d not in closing]


def _made_order(reminder: Reminder) -> tuple[datetime, str]:
    return (reminder.created_at, str(reminder.id))


def _towards(
    account_id: str, customer_id: uuid.UUID, want: Intended, have: Reminder | None
) -> list[Decision]:
    if have is None:
        return (
            [Decision(Change.CREATE, _new(account_id, customer_id, want))] if want.is_open else []
        )
    if have.cancel_reason == LATE_EVENT and want.is_open:
        # Taken away by one late event, given back by another: the history wants it again.
        return [Decision(Change.CREATE, _moved(have, want))]
    if not have.is_open:
        return []
    if not want.is_open:
        return [_closing(have, want, want.closed_at or have.created_at)]
    if _moves(have, want):
        return [Decision(Change.RESCHEDULE, _moved(have, want), have.scheduled_for)]
    return []


def _moves(have: Reminder, want: Intended) -> bool:
    """Whether the rules now give the stored reminder another time, or another message (a
    settings change judged again: the announcement is a reschedule that carries it)."""
    return want.scheduled_for != have.rule_scheduled_for or want.message != have.message


def _inactivity(
    account_id: str,
    customer_id: uuid.UUID,
    intended: Mapping[uuid.UUID, Intended],
    stored: Mapping[uuid.UUID, Reminder],
    at: datetime,
) -> list[Decision]:
    want = next((r for r in intended.values() if r.rule is _IDLE and r.is_open), None)
    have = next((r for r in stored.values() if r.rule is _IDLE and r.is_open), None)
    if have is not None and want is None:
        replayed = intended.get(have.id)
        if replayed is not None and not replayed.is_open:
            return [_closing(have, replayed, replayed.closed_at or at)]
        return [Decision(Change.CANCEL, canceled(have, at, LATE_EVENT))]
    if want is not None and have is None:
        # Its id may belong to a stored reminder closed already (a late event reordered
        # the history): then the latest activity names the new one.
        for rid in (want.id, _inactivity_id(account_id, customer_id, want.trigger_event_id)):
            if rid not in stored:
                fresh = _new(account_id, customer_id, want).model_copy(update={"id": rid})
                return [Decision(Change.CREATE, fresh)]
            if stored[rid].cancel_reason == LATE_EVENT:
                return [Decision(Change.CREATE, _moved(stored[rid], want))]
        return []
    if want is not None and have is not None and _moves(have, want):
        return [Decision(Change.RESCHEDULE, _moved(have, want), have.scheduled_for)]
    return []


_IDLE = ReminderRule.INACTIVITY


def read_beyond_open(
    account_id: str, customer_id: uuid.UUID, intended: Iterable[Intended]
) -> set[uuid.UUID]:
    """The ids of the stored reminders besides the open ones that `decide` may read while
    these intended reminders, and ones made after them for events not seen before, are
    compared with the store: each one's stored twin, and the one the open inactivity
    reminder's trigger would have made (_inactivity). A reminder made for a new event has a
    new id, which nothing stored has."""
    intended = list(intended)
    ids = {want.id for want in intended}
    ids |= {
        _inactivity_id(account_id, customer_id, want.trigger_event_id)
        for want in intended
        if want.rule is _IDLE and want.is_open
    }
    return ids


def _inactivity_id(account_id: str, customer_id: uuid.UUID, trigger: str) -> uuid.UUID:
    return reminder_identity(account_id, customer_id, _IDLE, ReminderType.FOLLOW_UP_7D, trigger)


def _closing(have: Reminder, want: Intended, at: datetime) -> Decision:
    # Closed at the time the rules in timestamp order give it: a fact applied out of order (a
    # trigger or a settings change read late) may have left the stored one elsewhere. A time
    # a person chose (a snooze) stays while the rule's time is the same.
    where: dict[str, object] = {}
    if want.scheduled_for != have.rule_scheduled_for:
        where = {"scheduled_for": want.scheduled_for, "rule_scheduled_for": want.scheduled_for}
    if want.status is ReminderStatus.COMPLETED:
        done = have.model_copy(
            update={
                **where,
                "status": ReminderStatus.COMPLETED,
                "closed_at": at,
                "completed_by": want.completed_by,
            }
        )
        return Decision(Change.COMPLETE, done)
    return Decision(Change.CANCEL, canceled(have.model_copy(update=where), at, want.cancel_reason))


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


def _moved(have: Reminder, want: Intended) -> Reminder:
    return have.model_copy(
        update={
            "status": ReminderStatus.OPEN,
            "closed_at": None,
            "cancel_reason": None,
            "scheduled_for": want.scheduled_for,
            "rule_scheduled_for": want.scheduled_for,
            "trigger_event_id": want.trigger_event_id,
            "message": want.message,
        }
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
