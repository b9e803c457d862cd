"""The DMO streak ends: targets of 0 meet every day of the account, so its first day (the local
day of its earliest event) ends the walk, and the horizon bounds it whatever as_of is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_stats.policy.dmo import STREAK_HORIZON_DAYS, DayTally, DmoTargets, dmo_days, streak

from .ledger import judged_days

OSLO = ZoneInfo("Europe/Oslo")
# Monday 30 Nov 2026, 13:00 in Oslo.
AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)
ZERO = DmoTargets(invites=0, follow_ups=0)

# A regression walks every date back to date.min (or forever): fail instead of hanging.
pytestmark = pytest.mark.timeout(10)


def zero_streak(first_day: date | None, as_of: datetime = AS_OF) -> int:
    return streak(judged_days({}, ZERO, as_of, OSLO, first_day))


def test_zero_targets_meet_every_day_of_the_account_and_no_day_before_it() -> None:
    assert zero_streak(TODAY) == 1
    assert zero_streak(TODAY - timedelta(days=9)) == 10
    # An account whose earliest event is a year back: a year and a day, not ten years.
    assert zero_streak(date(2025, 11, 30)) == 366


def test_zero_targets_with_no_event_yet_is_no_streak() -> None:
    assert zero_streak(None) == 0


def test_zero_targets_on_the_dmo_endpoint() -> None:
    first_day = TODAY - timedelta(days=2)
    days = judged_days({TODAY: DayTally(1, 0)}, ZERO, AS_OF, OSLO, first_day)
    body = dmo_days(days, 7).model_dump(mode="json")
    # A target of 0 is met by any count, on every day listed...
    assert all(item["met"] for item in body["items"])
    # ...but the streak counts only the account's days: today and the two before.
    assert body["streak_days"] == 3


def test_an_as_of_far_beyond_the_first_day_stops_at_the_horizon() -> None:
    far = datetime(2999, 12, 31, 12, tzinfo=UTC)
    assert zero_streak(date(2020, 1, 1), far) == STREAK_HORIZON_DAYS


def test_a_streak_longer_than_the_horizon_is_reported_as_the_horizon() -> None:
    targets = DmoTargets(invites=1, follow_ups=1)
    tallies = {TODAY - timedelta(days=n): DayTally(1, 1) for n in range(STREAK_HORIZON_DAYS + 10)}
    days = judged_days(tallies, targets, AS_OF, OSLO, min(tallies))
    assert streak(days) == STREAK_HORIZON_DAYS


def test_one_zero_target_still_needs_the_other() -> None:
    invites_only = DmoTargets(invites=1, follow_ups=0)
    tallies = {TODAY - timedelta(days=n): DayTally(1, 0) for n in range(1, 4)}
    days = judged_days(tallies, invites_only, AS_OF, OSLO, TODAY - timedelta(days=30))
    assert streak(days) == 3
