"""The reminders API's request and response bodies, as its OpenAPI document shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from crm_rules.policy.channel_window import ChannelWindow
from crm_rules.policy.reminder import ReminderStatus
from crm_rules.service.reads import DueReminderView, ReminderView
from crm_schemas.storable import StorableBody
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
    def of(cls, view: ReminderView) -> ReminderOut:
        reminder = view.reminder
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
            channel_window=view.channel_window,
            created_at=reminder.created_at,
            completed_at=reminder.completed_at,
        )


class DueReminderOut(ReminderOut):
    overdue: bool

    @classmethod
    def of_due(cls, view: DueReminderView) -> DueReminderOut:
        return cls(**ReminderOut.of(view).model_dump(), overdue=view.overdue)


class NewReminder(StorableBody):
    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    type: ReminderType = Field(description="custom: the other types are the rules' own")
    scheduled_for: IsoInstant
    message: str | None = Field(default=None, max_length=2000)


class Snooze(StorableBody):
    model_config = ConfigDict(extra="forbid")

    until: IsoInstant
