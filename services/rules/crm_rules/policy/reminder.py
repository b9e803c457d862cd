"""A reminder as this service stores it, and the identity every replay gives it again."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_schemas.system_properties import CompletedBy, ReminderEvent, ReminderRule, ReminderType

# Fixed forever: changing it would give every reminder a new id on the next rebuild.
REMINDER_NAMESPACE: Final = uuid.UUID("0c6f3d52-8a47-5b1e-b2d9-4e7a1c93f605")
# The cancel reason of a reminder a person deleted through the API.
CANCELED_BY_PERSON: Final = "person"


class ReminderStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELED = "canceled"


# A re-fold of a customer's history (a late event) names every reminder of every trigger again:
# a UUIDv5 is a SHA-1 and a string join each, a cached one a dictionary look-up.
@functools.lru_cache(maxsize=1 << 16)
def reminder_identity(
    account_id: str,
    customer_id: uuid.UUID,
    rule: ReminderRule,
    type_: ReminderType,
    trigger_event_id: str,
) -> uuid.UUID:
    """(account, customer, rule, type, trigger event id) as a UUIDv5: redelivery finds it again."""
    parts = (account_id, str(customer_id), rule.value, type_.value, trigger_event_id)
    return uuid.uuid5(REMINDER_NAMESPACE, "|".join(f"{len(p)}:{p}" for p in parts))


class Reminder(BaseModel):
    """One stored reminder. `rule_scheduled_for` is the time its rule gave it: a person's
    snooze moves `scheduled_for` only, so the rules never undo a snooze unless they move
    the reminder themselves."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    account_id: str
    customer_id: uuid.UUID
    type: ReminderType
    rule: ReminderRule
    trigger_event_id: str
    automated: bool
    message: str | None = None
    status: ReminderStatus = ReminderStatus.OPEN
    scheduled_for: AwareDatetime
    rule_scheduled_for: AwareDatetime
    created_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    completed_by: CompletedBy | None = None
    cancel_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status is ReminderStatus.OPEN

    @property
    def completed_at(self) -> datetime | None:
        return self.closed_at if self.status is ReminderStatus.COMPLETED else None

    def as_event(
        self, *, previous_scheduled_for: datetime | None = None, reason: str | None = None
    ) -> ReminderEvent:
        return ReminderEvent(
            reminder_id=self.id,
            type=self.type,
            rule=self.rule,
            scheduled_for=self.scheduled_for,
            trigger_event_id=self.trigger_event_id,
            automated=self.automated,
            message=self.message,
            completed_by=self.completed_by,
            previous_scheduled_for=previous_scheduled_for,
            reason=reason,
        )


def manual_reminder(
    account_id: str,
    customer_id: uuid.UUID,
    cause: str,
    scheduled_for: datetime,
    message: str | None,
    created_at: datetime,
) -> Reminder:
    """A reminder a person made (rule `manual`, type `custom`), named by the request's cause:
    made through the API, or given back to a rebuilt store from its announcement."""
    rule, type_ = ReminderRule.MANUAL, ReminderType.CUSTOM
    return Reminder(
        id=reminder_identity(account_id, customer_id, rule, type_, cause),
        account_id=account_id,
        customer_id=customer_id,
        type=type_,
        rule=rule,
        trigger_event_id=cause,
        automated=False,
        message=message,
        scheduled_for=scheduled_for,
        rule_scheduled_for=scheduled_for,
        created_at=created_at,
    )


# How far ahead a person may schedule a reminder.
MAX_AHEAD: Final = timedelta(days=365)


def is_overdue(reminder: Reminder, as_of: datetime, grace: timedelta) -> bool:
    """Due, and scheduled more than the account's grace before as_of."""
    return reminder.scheduled_for < as_of - grace
