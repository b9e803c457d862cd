"""docs/domain.md's reminder table: which trigger makes which reminders, and which it cancels."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from crm_rules.policy.reminder import ReminderStatus
from crm_schemas.catalog import EventName
from crm_schemas.system_properties import CompletedBy, ReminderRule, ReminderType


@dataclass(frozen=True)
class RuleReminder:
    """A reminder a rule makes: its type, its rule, and, unless the account's settings say
    otherwise, how long after the trigger and its message."""

    type: ReminderType
    rule: ReminderRule
    after: timedelta
    message: str


VIDEO_24H: Final = RuleReminder(
    ReminderType.FOLLOW_UP_24H,
    ReminderRule.VIDEO_SENT,
    timedelta(hours=24),
    "Ask what they thought of the video",
)
VIDEO_48H: Final = RuleReminder(
    ReminderType.FOLLOW_UP_48H,
    ReminderRule.VIDEO_SENT,
    timedelta(hours=48),
    "Follow up on the video",
)
NO_SHOW_2H: Final = RuleReminder(
    ReminderType.FOLLOW_UP_2H,
    ReminderRule.NO_SHOW,
    timedelta(hours=2),
    "They missed the meeting: reach out",
)
NO_SHOW_1D: Final = RuleReminder(
    ReminderType.FOLLOW_UP_1D,
    ReminderRule.NO_SHOW,
    timedelta(days=1),
    "Offer a new time for the missed meeting",
)
PRESENTATION_48H: Final = RuleReminder(
    ReminderType.FOLLOW_UP_48H,
    ReminderRule.PRESENTATION_SENT,
    timedelta(hours=48),
    "Follow up on the presentation",
)
INACTIVITY_7D: Final = RuleReminder(
    ReminderType.FOLLOW_UP_7D,
    ReminderRule.INACTIVITY,
    timedelta(days=7),
    "No activity for 7 days: reconnect",
)

# The cancel reason of an open follow_up_7d that activity meets while the account has the type
# disabled: it is not moved, and no other is made (docs/domain.md, Accounts).
TYPE_DISABLED: Final = "disabled"

# docs/domain.md's table: the reminders a trigger creates ...
CREATED_BY: Final[Mapping[EventName, tuple[RuleReminder, ...]]] = {
    EventName.VIDEO_SENT: (VIDEO_24H, VIDEO_48H),
    EventName.NO_SHOW: (NO_SHOW_2H, NO_SHOW_1D),
}
# ... and the open reminders of an earlier trigger it cancels first.
SUPERSEDES: Final[Mapping[EventName, ReminderRule]] = {
    # A new video replaces the follow-ups of the last one.
    EventName.VIDEO_SENT: ReminderRule.VIDEO_SENT,
    # Rebooked: no more chasing the no-show.
    EventName.MEETING_BOOKED: ReminderRule.NO_SHOW,
}


@dataclass(frozen=True)
class Intended:
    """A reminder as the rules, applied in timestamp order, leave it."""

    id: uuid.UUID
    type: ReminderType
    rule: ReminderRule
    trigger_event_id: str
    scheduled_for: datetime  # the rule's time, after quiet hours
    message: str | None
    automated: bool
    created_at: datetime
    status: ReminderStatus = ReminderStatus.OPEN
    closed_at: datetime | None = None
    completed_by: CompletedBy | None = None
    cancel_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status is ReminderStatus.OPEN
