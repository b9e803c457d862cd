"""A reminder the rules close is closed at the time the rules in timestamp order give it: a
fact applied out of order (here, the reminder moved by an activity the store saw first) may
have left the stored one elsewhere. A person's snooze stays while the rule's time is the same."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from crm_rules.policy.decisions import Change, decide
from crm_rules.policy.reminder import Reminder, ReminderStatus
from crm_rules.policy.rules import Intended
from crm_schemas.system_properties import ReminderRule, ReminderType

from .history import T0, D, H

ACCOUNT = "acme"
CUSTOMER = uuid.uuid4()
# The one reminder both sides name: the store's row and what the rules intend for it.
THE_REMINDER: dict[str, Any] = {
    "id": uuid.uuid4(),
    "type": ReminderType.FOLLOW_UP_24H,
    "rule": ReminderRule.VIDEO_SENT,
    "trigger_event_id": "video-1",
    "automated": True,
    "created_at": T0,
}
RID: uuid.UUID = THE_REMINDER["id"]


def stored(scheduled_for: datetime, rule_scheduled_for: datetime) -> Reminder:
    return Reminder(
        **THE_REMINDER,
        account_id=ACCOUNT,
        customer_id=CUSTOMER,
        scheduled_for=scheduled_for,
        rule_scheduled_for=rule_scheduled_for,
    )


def canceled_at(scheduled_for: datetime) -> Intended:
    return Intended(
        **THE_REMINDER,
        scheduled_for=scheduled_for,
        message=None,
        status=ReminderStatus.CANCELED,
        closed_at=T0 + 3 * H,
        cancel_reason="superseded",
    )


def test_a_reminder_is_closed_at_the_time_of_the_timestamp_order() -> None:
    have = stored(T0 + D + H, T0 + D + H)
    (decision,) = decide(ACCOUNT, CUSTOMER, {RID: canceled_at(T0 + D)}, {RID: have}, T0 + 3 * H)
    assert decision.change is Change.CANCEL
    assert decision.reminder.status is ReminderStatus.CANCELED
    assert decision.reminder.scheduled_for == T0 + D
    assert decision.reminder.rule_scheduled_for == T0 + D


def test_a_snoozed_reminder_keeps_the_persons_time_when_the_rules_time_is_the_same() -> None:
    have = stored(T0 + 2 * D, T0 + D)
    (decision,) = decide(ACCOUNT, CUSTOMER, {RID: canceled_at(T0 + D)}, {RID: have}, T0 + 3 * H)
    assert decision.change is Change.CANCEL
    assert decision.reminder.scheduled_for == T0 + 2 * D
