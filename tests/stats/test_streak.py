"""The DMO streak ends: targets of 0 meet every day, and the walk stops at the horizon."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crm_stats.policy.dmo import STREAK_HORIZON_DAYS, DayTally, DmoTargets, dmo_days, streak

TODAY = date(2026, 11, 30)
ZERO = DmoTargets(invites=0, follow_ups=0)

# A regression walks every date back to date.min (or forever): fail instead of hanging.
pytestmark = pytest.mark.timeout(10)


def test_zero_targets_meet_every_day_up_to_the_horizon() -> None:
    assert streak({}, ZERO, TODAY) == STREAK_HORIZON_DAYS
    assert streak({TODAY: DayTally()}, ZERO, TODAY) == STREAK_HORIZON_DAYS


def test_zero_targets_on_the_dmo_endpoint() -> None:
    body = dmo_days({TODAY: DayTally(1, 0)}, ZERO, TODAY, 7).model_dump(mode="json")
    assert all(item["met"] for item in body["items"])
    assert body["streak_days"] == STREAK_HORIZON_DAYS


def test_a_streak_longer_than_the_horizon_is_reported_as_the_horizon() -> None:
    targets = DmoTargets(invites=1, follow_ups=1)
    days = {TODAY - timedelta(days=n): DayTally(1, 1) for n in range(STREAK_HORIZON_DAYS + 10)}
    assert streak(days, targets, TODAY) == STREAK_HORIZON_DAYS


def test_one_zero_target_still_needs_the_other() -> None:
    invites_only = DmoTargets(invites=1, follow_ups=0)
    days = {TODAY - timedelta(days=n): DayTally(1, 0) for n in range(1, 4)}
    assert streak(days, invites_only, TODAY) == 3
