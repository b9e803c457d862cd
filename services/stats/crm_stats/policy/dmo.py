"""The Daily Method of Operation: invites and follow-ups per local day, each day against the
targets in force for it (docs/domain.md, DMO)."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm_schemas.account_settings import SettingsHistory
from crm_stats.policy.periods import local_date, week_start
from crm_stats.schemas import DmoDay, DmoDays, DmoProgress, DmoSummary

DAYS_IN_WEEK = 7
# The streak's walk ends at the account's first day; this bounds it too, because an as_of
# centuries after that day (the API takes any instant up to the year 3000) with targets of 0
# would otherwise walk every day between. A longer streak is reported as this many days.
STREAK_HORIZON_DAYS = 3660
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DmoTargets:
    """Invites and follow-ups to do: a day's, or the sum of a week's days (so unbounded)."""

    invites: int
    follow_ups: int


@dataclass(frozen=True)
class DayTally:
    invites: int = 0
    follow_ups: int = 0

    def __add__(self, other: DayTally) -> DayTally:
        return DayTally(self.invites + other.invites, self.follow_ups + other.follow_ups)


class TargetsInForce:
    """The targets each local day of an account is judged by: those in force at the earlier of
    the day's end and as_of. A day's end is its last instant, the day being [midnight, next
    midnight): a change made during a day judges that whole day, one dated at midnight the day
    it starts (the day before keeps the old targets); a change dated after as_of judges nothing
    yet."""

    def __init__(self, history: SettingsHistory, zone: ZoneInfo, as_of: datetime) -> None:
        self.history = history
        self.zone = zone
        self.as_of = as_of
        self._today = local_date(as_of, zone)
        self._at_as_of = _targets(history, as_of)
        # A change judges the days from the one it was made in, as a day is judged at its last
        # instant: so a day before as_of's is looked up by date, without its end in the zone
        # (a ten-year streak is walked on every dashboard request).
        changes = history.changes
        self._starts = [local_date(change.effective_from, zone) for change in changes]
        self._by_start = [_targets(history, change.effective_from) for change in changes]

    def on(self, day: date) -> DmoTargets:
        if day >= self._today or len(self._starts) <= 1:
            # as_of's day (and any later one) is judged at as_of; without a second change one
            # set of settings holds at every instant (the seed's, or the file's before it).
            return self._at_as_of
        # Before the first change its settings hold, as SettingsHistory.in_force says.
        index = max(bisect.bisect_right(self._starts, day) - 1, 0)
        return self._by_start[index]


def _targets(history: SettingsHistory, at: datetime) -> DmoTargets:
    targets = history.in_force(at).dmo_targets
    return DmoTargets(targets.invites, targets.follow_ups)


@dataclass(frozen=True)
class AccountDays:
    """An account's DMO as read for one request: invites and follow-ups per local day (as_of's
    day cut at as_of), the targets judging each day, and the local day of the account's earliest
    event up to as_of (None: no event yet), before which no streak reaches."""

    targets: TargetsInForce
    first_day: date | None
    tallies: Mapping[date, DayTally] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return local_date(self.targets.as_of, self.targets.zone)

    def tally(self, day: date) -> DayTally:
        return self.tallies.get(day, _NOTHING_DONE)

    def met(self, day: date) -> bool:
        return met(self.tally(day), self.targets.on(day))


_NOTHING_DONE = DayTally()


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


def streak(days: AccountDays) -> int:
    """Consecutive met days ending today, or yesterday while today is not met yet, never
    before the account's first day. A target of 0 is met by any count, so with targets of 0
    every day of the account is met and its first day ends the walk."""
    if days.first_day is None:
        return 0
    today = days.today
    day = today if days.met(today) else today - _ONE_DAY
    count = 0
    while count < STREAK_HORIZON_DAYS and day >= days.first_day and days.met(day):
        count += 1
        day -= _ONE_DAY
    return count


def week_targets(days: AccountDays, monday: date) -> DmoTargets:
    """The design's week target is 7 × the daily one. With targets that change during the week
    each day counts with its own (its targets in force, as it is judged; the days after as_of's
    with those in force at as_of): the sum, which is 7 × daily when nothing changed."""
    week = [days.targets.on(monday + timedelta(days=n)) for n in range(DAYS_IN_WEEK)]
    return DmoTargets(sum(t.invites for t in week), sum(t.follow_ups for t in week))


def dmo_summary(days: AccountDays) -> DmoSummary:
    """Today's and this local week's progress, and the streak."""
    today = days.today
    monday = week_start(today)
    done = DayTally()
    for offset in range((today - monday).days + 1):
        done = done + days.tally(monday + timedelta(days=offset))
    return DmoSummary(
        today=progress(days.tally(today), days.targets.on(today)),
        week=progress(done, week_targets(days, monday)),
        streak_days=streak(days),
    )


def dmo_days(days: AccountDays, count: int) -> DmoDays:
    """GET /api/stats/dmo: one item per local day, newest first, and the streak."""
    items = []
    for back in range(count):
        day = days.today - timedelta(days=back)
        tally, targets = days.tally(day), days.targets.on(day)
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
    return DmoDays(items=items, streak_days=streak(days))


def streak_reaches_back_to(today: date, first_day: date | None) -> date:
    """The earliest day a streak ending today may count, so the earliest to read."""
    horizon = today - timedelta(days=STREAK_HORIZON_DAYS)
    return max(first_day, horizon) if first_day is not None else today
