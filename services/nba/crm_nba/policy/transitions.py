"""When a recommendation changes without a new event, since when it has held, and whether a
change is news worth announcing.

Between two consecutive thresholds the table's answer is constant (every time-dependent
row compares `as_of` with one of them), so evaluating at the thresholds is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_nba.policy.projection import Projection, signed_up_at
from crm_nba.policy.table import (
    JUST_AFTER,
    NONE_ACTION,
    ONBOARDING,
    SILENCE,
    VIDEO_FEEDBACK_AFTER,
    recommend,
    silence_start,
)
from crm_schemas.system_properties import Recommendation
from crm_servicekit.accounts import Account


@dataclass(frozen=True)
class Assessment:
    recommendation: Recommendation
    # The first instant after as_of at which the answer differs (None: never, by time alone).
    next_change_at: datetime | None
    # No answer changed between this instant and as_of (None: since the beginning of time).
    valid_from: datetime | None


def thresholds(p: Projection, grace: timedelta) -> list[datetime]:
    """Every instant at which some time-dependent row may start or stop matching."""
    found: list[datetime] = []
    if p.last_video_at is not None:
        found.append(p.last_video_at + VIDEO_FEEDBACK_AFTER)
    found.extend(r.scheduled_for + grace + JUST_AFTER for r in p.open_reminders)
    if (quiet_since := silence_start(p)) is not None:
        found.append(quiet_since + SILENCE)
    if (signed := signed_up_at(p)) is not None:
        found.append(signed + ONBOARDING + JUST_AFTER)
    return sorted(set(found))


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


def assess(p: Projection, as_of: datetime, account: Account) -> Assessment:
    current = recommend(p, as_of, account)
    times = thresholds(p, account.overdue_grace)
    next_change = next(
        (t for t in times if t > as_of and not same_answer(recommend(p, t, account), current)),
        None,
    )
    valid_from = max((t for t in times if t <= as_of), default=None)
    return Assessment(current, next_change, valid_from)
