"""A week (Europe/Oslo, Monday 2 Nov 2026 on) of an account whose settings change while it
runs, shared by the pure DMO tests and the store's tests. The file's targets are 2 invites and 1
follow-up a day; the expectations next to the events are worked out by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account

from .scripted_week import NAMESPACE, event
from .settings_events import seeded, settings_changed, settings_of

ZONE = ZoneInfo("Europe/Oslo")
ACCOUNT = Account(account_id="changing", dmo_targets={"invites": 2, "follow_ups": 1})
CUSTOMER = uuid.uuid5(NAMESPACE, "changing-settings")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026 given in Oslo's local time (CET, UTC+1)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


# Thursday noon: the instant most expectations are read at.
AS_OF = local(5, 12)

SEED = seeded(ACCOUNT, local(2, 8))
# Wednesday 18:00: the invites target lowered to 1, which judges all of Wednesday.
LOWERED = settings_changed(
    ACCOUNT, local(4, 18), {"dmo_targets": {"invites": 1}}, event_id="settings:changing:lowered"
)
# Thursday 09:00: overdue after 3 hours instead of 1.
LONGER_GRACE = settings_changed(
    ACCOUNT,
    local(5, 9),
    {"overdue_grace": "PT3H"},
    before=settings_of(LOWERED),
    event_id="settings:changing:grace",
)
# Thursday 15:00, after AS_OF: 5 follow-ups a day.
MORE_FOLLOW_UPS = settings_changed(
    ACCOUNT,
    local(5, 15),
    {"dmo_targets": {"follow_ups": 5}},
    before=settings_of(LONGER_GRACE),
    event_id="settings:changing:follow-ups",
)
CHANGES = [SEED, LOWERED, LONGER_GRACE, MORE_FOLLOW_UPS]
# Scheduled Thursday 09:30: at AS_OF due for 2.5 hours, so overdue with the file's grace of
# 1 hour and not with the 3 hours in force since 09:00.
REMINDER_DUE_AT = local(5, 9, 30)


def _fact(name: str, at: datetime) -> EventEnvelope:
    return event(name, CUSTOMER, at, account=ACCOUNT.account_id)


def facts() -> list[EventEnvelope]:
    return [
        # Monday: 2 invites, 1 follow-up: met (2, 1).
        _fact("DM_STARTED", local(2, 9)),
        _fact("INVITE_SENT", local(2, 10)),
        _fact("INVITE_SENT", local(2, 11)),
        _fact("FOLLOW_UP_DONE", local(2, 12)),
        # Tuesday: 1 invite, 1 follow-up: not met (2, 1), the lowering came a day later.
        _fact("INVITE_SENT", local(3, 10)),
        _fact("FOLLOW_UP_DONE", local(3, 12)),
        # Wednesday: 1 invite, 1 follow-up: met, by the targets lowered that evening (1, 1).
        _fact("INVITE_SENT", local(4, 10)),
        _fact("FOLLOW_UP_DONE", local(4, 12)),
        # Thursday: 1 invite, 1 follow-up by AS_OF: met (1, 1); from 15:00 (1, 5): not met.
        _fact("INVITE_SENT", local(5, 10)),
        _fact("FOLLOW_UP_DONE", local(5, 10, 30)),
        event(
            "REMINDER_CREATED",
            CUSTOMER,
            local(2, 12),
            {
                "reminder_id": str(uuid.uuid5(NAMESPACE, "changing-settings-reminder")),
                "type": "follow_up_7d",
                "rule": "inactivity",
                "scheduled_for": REMINDER_DUE_AT.isoformat(),
                "trigger_event_id": "t",
                "automated": True,
            },
            account=ACCOUNT.account_id,
        ),
    ]


def week() -> list[EventEnvelope]:
    return [*CHANGES, *facts()]
