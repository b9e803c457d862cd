"""The reminders API's request and response bodies (API.md, rules)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from crm_rules.channel_window import ChannelWindow, InboundMessage, channel_window
from crm_rules.reminder import Reminder, ReminderStatus
from crm_schemas.system_properties import ReminderRule, ReminderType
from crm_servicekit.instants import IsoInstant


class ReminderOut(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    type: ReminderType
    rule: ReminderRule
    trigger_event_id: str
    automated: bool
    scheduled_for: datetime
    message: str | None
    status: ReminderStatus
    channel_window: ChannelWindow
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, reminder: Reminder, inbound: Sequence[InboundMessage]) -> ReminderOut:
        return cls(
            id=reminder.id,
            customer_id=reminder.customer_id,
            type=reminder.type,
            rule=reminder.rule,
            trigger_event_id=reminder.trigger_event_id,
            automated=reminder.automated,
            scheduled_for=reminder.scheduled_for,
            message=reminder.message,
            status=reminder.status,
            channel_window=channel_window(reminder.scheduled_for, inbound),
            created_at=reminder.created_at,
            completed_at=reminder.completed_at,
        )


class DueReminderOut(ReminderOut):
    overdue: bool


class NewReminder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    type: ReminderType = Field(description="custom: the other types are the rules' own")
    scheduled_for: IsoInstant
    message: str | None = Field(default=None, max_length=2000)


class Snooze(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: IsoInstant


def is_overdue(reminder: Reminder, as_of: datetime, grace: timedelta) -> bool:
    """Due, and scheduled more than the account's grace before as_of."""
    return reminder.scheduled_for < as_of - grace
