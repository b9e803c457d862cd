"""When a recommendation changes without a new event, since when it has held, and whether a
change is news worth announcing.

Thresholds are the instants at which a reminder becomes overdue or a time-dependent row
starts or stops matching. Between two consecutive thresholds the table's answer is
constant (every time-dependent row compares `as_of` with one of them). Most
thresholds cannot change the answer, though: `overdue_reminder` looks only at the oldest
open reminder, so of the reminders' thresholds only the oldest one's matters. `assess`
evaluates the table at those few instants only (`answer_changes`, at most four while the
account's overdue_grace never changes), so its work does not grow with the customer's open
reminders.

The grace is the one in force at each instant (the account's settings history): a change of
it is a threshold too, and in each period of one grace the oldest reminder becomes overdue
at most once.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from crm_nba.policy.projection import OpenReminder, Projection, signed_up_at
from crm_nba.policy.table import (
    JUST_AFTER,
    NONE_ACTION,
    ONBOARDING,
    SILENCE,
    VIDEO_FEEDBACK_AFTER,
    oldest_reminder,
    recommend,
    silence_start,
)
from crm_schemas.account_settings import SettingsChange, SettingsHistory
from crm_schemas.system_properties import Recommendation


@dataclass(frozen=True)
class Assessment:
    recommendation: Recommendation
    # The first instant after as_of at which the answer differs (None: never, by time alone).
    next_change_at: datetime | None
    # No answer changed between this instant and as_of (None: since the beginning of time).
    valid_from: datetime | None


@dataclass(frozen=True)
class GracePeriod:
    """An interval [start, end) in which one overdue_grace is in force (None: unbounded)."""

    start: datetime | None
    end: datetime | None
    grace: timedelta


def grace_periods(settings: SettingsHistory) -> list[GracePeriod]:
    """The account's overdue_grace over time, a period per value; a change that keeps the
    grace starts no new period, so an account that never changes it has one."""
    changes = settings.changes
    # Before the first change, the first change's settings hold (SettingsHistory).
    first = changes[0].settings if changes else settings.fallback
    starts: list[tuple[datetime | None, timedelta]] = [(None, first.overdue_grace)]
    for change in changes[1:]:
        if change.settings.overdue_grace != starts[-1][1]:
            starts.append((change.effective_from, change.settings.overdue_grace))
    ends = [start for start, _ in starts[1:]] + [None]
    return [
        GracePeriod(start, end, grace) for (start, grace), end in zip(starts, ends, strict=True)
    ]


def answer_changes(p: Projection, settings: SettingsHistory) -> list[datetime]:
    """The thresholds at which the table's answer may change, soonest first: the rows'
    own, each change of the grace, and of the reminders only when the oldest becomes overdue
    (`overdue_reminder` matches from then on while the grace holds, whatever the others do)."""
    found = _row_changes(p)
    if (oldest := oldest_reminder(p)) is not None:
        # Without an open reminder the grace decides nothing, nor does a change of it.
        periods = grace_periods(settings)
        found.extend(period.start for period in periods if period.start is not None)
        for period in periods:
            overdue_at = oldest.scheduled_for + period.grace + JUST_AFTER
            if (period.start is None or period.start <= overdue_at) and (
                period.end is None or overdue_at < period.end
            ):
                found.append(overdue_at)
    return sorted(set(found))


def _row_changes(p: Projection) -> list[datetime]:
    """Where the rows other than `overdue_reminder` compare `as_of` with an instant."""
    found: list[datetime] = []
    if p.last_video_at is not None:
        found.append(p.last_video_at + VIDEO_FEEDBACK_AFTER)
    if (quiet_since := silence_start(p)) is not None:
        found.append(quiet_since + SILENCE)
    if (signed := signed_up_at(p)) is not None:
        found.append(signed + ONBOARDING + JUST_AFTER)
    return found


def same_answer(a: Recommendation, b: Recommendation) -> bool:
    """Equal for a reader: computed_at and the facts behind it aside."""
    return (a.action, a.title, a.reason, a.priority, a.due_at) == (
        b.action,
        b.title,
        b.reason,
        b.priority,
        b.due_at,
    )


def is_news(before: Recommendation | None, after: Recommendation) -> bool:
    """A first recommendation of `none` is not news: nothing was recommended before either."""
    if before is None:
        return after.action != NONE_ACTION
    return not same_answer(before, after)


def assess(p: Projection, as_of: datetime, settings: SettingsHistory) -> Assessment:
    current = recommend(p, as_of, settings)
    # The answer is constant between two consecutive answer changes, so the first threshold
    # after as_of with another answer is the first such answer change.
    next_change = next(
        (
            t
            for t in answer_changes(p, settings)
            if t > as_of and not same_answer(recommend(p, t, settings), current)
        ),
        None,
    )
    # Every threshold counts here, each reminder's becoming overdue included: valid_from
    # says since when nothing changed, and that is the latest of them at or before as_of.
    # Under the grace in force at as_of, those are the rows' own, the start of that grace's
    # period, and the last reminder to become overdue in it; one that became overdue under an
    # earlier grace did so before that period's start.
    found = [t for t in _row_changes(p) if t <= as_of]
    if p.open_reminders:  # without one, the grace decides nothing
        period = next(
            held
            for held in reversed(grace_periods(settings))
            if held.start is None or held.start <= as_of
        )
        if period.start is not None:
            found.append(period.start)
        if (overdue := last_overdue(p, as_of, period.grace)) is not None:
            found.append(overdue.scheduled_for + period.grace + JUST_AFTER)
    return Assessment(current, next_change, max(found, default=None))


def last_overdue(p: Projection, as_of: datetime, grace: timedelta) -> OpenReminder | None:
    """The open reminder that became overdue last at or before as_of (a projection lists
    them soonest first, so a bisection finds it)."""
    overdue = bisect_right(
        p.open_reminders, as_of - grace - JUST_AFTER, key=attrgetter("scheduled_for")
    )
    return p.open_reminders[overdue - 1] if overdue else None


def grace_changed(history: SettingsHistory, change: SettingsChange) -> bool:
    """Whether a recorded change gave the account another overdue_grace than the one before
    it held: only the grace of all the settings decides a customer's answer (the targets
    decide coaching), so any other change leaves every customer's answer as it was."""
    before = history.settings_before(change)
    if before is None:
        return True  # not in the history read: judge every customer again, to be safe
    return before.overdue_grace != change.settings.overdue_grace
