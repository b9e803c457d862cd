"""Quiet hours in the account's zone (Europe/Oslo): across midnight and on both DST changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from crm_rules.policy.quiet_hours import local_instant, outside_quiet_hours
from crm_servicekit.accounts import Account, QuietHours

from .history import H, event, open_times, replay

OSLO = ZoneInfo("Europe/Oslo")
NIGHT = QuietHours(start=time(22, 0), end=time(7, 0))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 11, 2, 22, 30), utc(2026, 11, 3, 6, 0)),  # 23:30 local → 07:00 next day
        (utc(2026, 11, 3, 4, 0), utc(2026, 11, 3, 6, 0)),  # 05:00 local → 07:00 that day
        (utc(2026, 11, 2, 21, 0), utc(2026, 11, 3, 6, 0)),  # 22:00 local: start is inside
        (utc(2026, 11, 3, 6, 0), utc(2026, 11, 3, 6, 0)),  # 07:00 local: end is outside
        (utc(2026, 11, 2, 20, 59), utc(2026, 11, 2, 20, 59)),  # 21:59 local: before
    ],
)
def test_a_time_inside_quiet_hours_across_midnight_moves_to_their_end(
    moment: datetime, expected: datetime
) -> None:
    assert outside_quiet_hours(moment, OSLO, NIGHT) == expected


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours(start=time(12, 0), end=time(13, 0))
    assert outside_quiet_hours(utc(2026, 11, 2, 11, 30), OSLO, lunch) == utc(2026, 11, 2, 12, 0)
    assert outside_quiet_hours(utc(2026, 11, 2, 10, 59), OSLO, lunch) == utc(2026, 11, 2, 10, 59)


def test_no_quiet_hours_changes_nothing() -> None:
    assert outside_quiet_hours(utc(2026, 11, 2, 22, 30), OSLO, None) == utc(2026, 11, 2, 22, 30)


def test_spring_forward_night_ends_at_local_seven_in_summer_time() -> None:
    # 28 → 29 March 2026: Oslo jumps from 02:00 CET to 03:00 CEST.
    assert outside_quiet_hours(utc(2026, 3, 28, 22, 0), OSLO, NIGHT) == utc(2026, 3, 29, 5, 0)


def test_an_end_inside_the_spring_gap_moves_to_the_first_valid_instant() -> None:
    quiet = QuietHours(start=time(23, 0), end=time(2, 30))  # 02:30 does not exist that night
    moved = outside_quiet_hours(utc(2026, 3, 28, 22, 30), OSLO, quiet)
    assert moved == utc(2026, 3, 29, 1, 0)  # 03:00 CEST, the instant the clocks jumped
    assert moved.astimezone(OSLO).strftime("%H:%M %Z") == "03:00 CEST"


def test_an_end_repeated_in_the_autumn_takes_its_first_occurrence() -> None:
    # 25 October 2026: 03:00 CEST goes back to 02:00 CET, so 02:30 happens twice.
    quiet = QuietHours(start=time(23, 0), end=time(2, 30))
    moved = outside_quiet_hours(utc(2026, 10, 24, 21, 30), OSLO, quiet)
    assert moved == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, not 02:30 CET (01:30Z)
    # 02:15 CET (the second pass) is inside too; the first 02:30 is behind it, so it waits
    # for the second 02:30 rather than moving back in time.
    assert outside_quiet_hours(utc(2026, 10, 25, 1, 15), OSLO, quiet) == utc(2026, 10, 25, 1, 30)


def test_local_instant_of_an_ordinary_wall_time() -> None:
    assert local_instant(datetime(2026, 7, 1, 9, 0), OSLO) == utc(2026, 7, 1, 7, 0)


def test_the_rules_place_reminders_outside_the_account_quiet_hours() -> None:
    account = Account(account_id="acme", quiet_hours=NIGHT)
    c = uuid.uuid4()
    # NO_SHOW at 20:30 local: the 2h reminder (22:30) moves to 07:00, the 1d one stays.
    no_show = event("NO_SHOW", utc(2026, 11, 2, 19, 30), c)
    result = replay([no_show], account=account)
    assert open_times(result)["follow_up_2h"] == [utc(2026, 11, 3, 6, 0)]
    assert open_times(result)["follow_up_1d"] == [utc(2026, 11, 2, 19, 30) + 24 * H]
