"""How the NBA speaks: instants in the account's local time, reminder names, stage names.

Day and month names are spelled here rather than taken from the process locale, so a
reason reads the same on every machine.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from crm_schemas.system_properties import ReminderType

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

REMINDER_NAMES: dict[ReminderType, str] = {
    ReminderType.FOLLOW_UP_2H: "2-hour follow-up",
    ReminderType.FOLLOW_UP_1D: "1-day follow-up",
    ReminderType.FOLLOW_UP_24H: "24-hour video follow-up",
    ReminderType.FOLLOW_UP_48H: "48-hour follow-up",
    ReminderType.FOLLOW_UP_7D: "7-day check-in",
    ReminderType.CUSTOM: "reminder",
}


def local_moment(moment: datetime, zone: ZoneInfo) -> str:
    """'Tue 3 Nov 14:00' in the account's time zone."""
    local = moment.astimezone(zone)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local:%H:%M}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
