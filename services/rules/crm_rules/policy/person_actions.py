"""What people did to a customer's reminders, as points in that customer's history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from crm_rules.policy.reminder import CANCELED_BY_PERSON, Reminder
from crm_schemas.system_properties import CompletedBy


@dataclass(frozen=True)
class PersonAction:
    """Something a person did to a stored reminder, at the request's time: an entry of the
    customer's fact log beside their events."""

    at: datetime
    reminder: Reminder
    closes: bool = False  # the person closed the reminder (else they made it)

    @property
    def event_id(self) -> str:
        # Not an event: the reminder and what was done to it name the entry.
        return f"person {'closed' if self.closes else 'made'} reminder {self.reminder.id}"

    @property
    def order_key(self) -> tuple[datetime, int, str]:
        """After the customer's events of the same instant (see CustomerEvent.order_key)."""
        return (self.at, 2, str(self.reminder.id))


def person_actions(stored: Iterable[Reminder]) -> list[PersonAction]:
    """Manual reminders enter the history when made; a person's completion or cancel when done."""
    actions = []
    for reminder in stored:
        if not reminder.automated:
            actions.append(PersonAction(reminder.created_at, reminder))
        closed_by_person = reminder.completed_by is CompletedBy.PERSON or (
            reminder.cancel_reason == CANCELED_BY_PERSON
        )
        if closed_by_person and reminder.closed_at is not None:
            actions.append(PersonAction(reminder.closed_at, reminder, closes=True))
    return actions
