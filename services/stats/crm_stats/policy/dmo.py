"""The Daily Method of Operation: invites and follow-ups per local day, against targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm_servicekit.accounts import Account
from crm_stats.policy.periods import local_date, week_start
from crm_stats.schemas import DmoDay, DmoDays, DmoProgress, DmoSummary

DAYS_IN_WEEK = 7
# How far back a streak is counted (the days read for it); a longer streak is reported as
# this many days.
STREAK_HORIZON_DAYS = 3660


@dataclass(frozen=True)
class DmoTargets:
    invites: int
    follow_ups: int


@dataclass(frozen=True)
class DayTally:
    invites: int = 0
    follow_ups: int = 0

    def __add__(self, other: DayTally) -> DayTally:
        return DayTally(self.invites + other.invites, self.follow_ups + other.follow_ups)


def met(tally: DayTally, targets: DmoTargets) -> bool:
    return tally.invites >= targets.invites and tally.follow_ups >= targets.follow_ups


def pct(done: int, target: int) -> float | None:
    # A target of 0 is an empty denominator: null, as every other ratio.
    return done / target if target else None


def progress(tally: DayTally, targets: DmoTargets) -> DmoProgress:
    return DmoProgress(
        invites=tally.invites,
        invites_target=targets.invites,
        invites_pct=pct(tally.invites, targets.invites),
        follow_ups=tally.follow_ups,
        follow_ups_target=targets.follow_ups,
        follow_ups_pct=pct(tally.follow_ups, targets.follow_ups),
        met=met(tally, targets),
    )


def streak(days: Mapping[date, DayTally], targets: DmoTargets, today: date) -> int:
    """Consecutive met days ending today, or yesterday while today is not met yet."""
    # With targets of 0 a day is met (0 done >= 0), with or without a tally, so every day is
    # met and only the cap ends the walk (docs/domain.md, DMO edge cases). The walk stops at
    # STREAK_HORIZON_DAYS in every case, as day_tallies reads no further back. A year-long
    # streak is walked on every dashboard request, so the walk looks dates up in a set.
    met_days = {day for day, tally in days.items() if met(tally, targets)}
    empty_met = met(DayTally(), targets)
    one_day = timedelta(days=1)

    def is_met(day: date) -> bool:
        return day in met_days or (empty_met and day not in days)

    day = today if is_met(today) else today - one_day
    count = 0
    while count < STREAK_HORIZON_DAYS and is_met(day):
        count += 1
        day -= one_day
    return count


def dmo_summary(
    days: Mapping[date, DayTally], targets: DmoTargets, as_of: datetime, tz: str
) -> DmoSummary:
    """Today's and this local week's progress, and the streak; `days` holds the local days up
    to as_of's day, that day cut at as_of."""
    today = local_date(as_of, ZoneInfo(tz))
    monday = week_start(today)
    week = DayTally()
    for offset in range((today - monday).days + 1):
        week = week + days.get(monday + timedelta(days=offset), DayTally())
    week_targets = DmoTargets(targets.invites * DAYS_IN_WEEK, targets.follow_ups * DAYS_IN_WEEK)
    return DmoSummary(
        today=progress(days.get(today, DayTally()), targets),
        week=progress(week, week_targets),
        streak_days=streak(days, targets, today),
    )


def dmo_days(
    days: Mapping[date, DayTally], targets: DmoTargets, today: date, count: int
) -> DmoDays:
    """GET /api/stats/dmo: one item per local day, newest first, and the streak."""
    items = []
    for back in range(count):
        day = today - timedelta(days=back)
        tally = days.get(day, DayTally())
        items.append(
            DmoDay(
                date=day,
                invites=tally.invites,
                invites_target=targets.invites,
                follow_ups=tally.follow_ups,
                follow_ups_target=targets.follow_ups,
                met=met(tally, targets),
            )
        )
    return DmoDays(items=items, streak_days=streak(days, targets, today))


def targets_of(account: Account) -> DmoTargets:
    return DmoTargets(account.dmo_targets.invites, account.dmo_targets.follow_ups)
