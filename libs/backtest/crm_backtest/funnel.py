"""The funnel and speed to lead of docs/domain.md's figures, for one account's customers."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from crm_backtest.clock import DAY
from crm_backtest.pipeline import RANK, Step

SHOWN = RANK["presentation_sent"]  # a video counts as the show


def ratio(part: int, whole: int) -> float | None:
    """Empty denominators give null, not 0."""
    return part / whole if whole else None


def nearest_rank(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[math.ceil(p * len(sorted_values)) - 1]


def _times(steps: list[Step], name: str, as_of: datetime) -> list[datetime]:
    return [s.fact.at for s in steps if s.fact.name == name and s.fact.at <= as_of]


def _reached(steps: list[Step], as_of: datetime) -> int:
    """The furthest stage reached up to as_of (a later not_now does not undo it)."""
    ranks = [RANK[s.after.status] for s in steps if s.fact.at <= as_of and s.after.status in RANK]
    return max(ranks, default=-1)


def _had(steps: list[Step], meeting: str, as_of: datetime) -> bool:
    """A meeting step is reached by the event itself or by reaching the show (a video)."""
    return bool(_times(steps, meeting, as_of)) or _reached(steps, as_of) >= SHOWN


def funnel(
    customers: list[list[Step]], start: datetime, end: datetime, as_of: datetime
) -> dict[str, Any]:
    cohort = []
    for steps in customers:
        entries = _times(steps, "DM_STARTED", as_of) + _times(steps, "LEAD_QUALIFIED", as_of)
        if entries and start <= min(entries) < end:
            cohort.append(steps)
    qualified = [s for s in cohort if _reached(s, as_of) >= RANK["qualified"]]
    booked = [s for s in cohort if _had(s, "MEETING_BOOKED", as_of)]
    held = [s for s in cohort if _had(s, "MEETING_HELD", as_of)]
    signed = [s for s in cohort if _reached(s, as_of) >= RANK["signed_up"]]
    with_booking = [s for s in cohort if _times(s, "MEETING_BOOKED", as_of)]
    with_held = [s for s in with_booking if _times(s, "MEETING_HELD", as_of)]
    no_shows = [s for s in cohort if _times(s, "NO_SHOW", as_of)]
    recovered = [s for s in no_shows if _rebooked(s, as_of)]
    return {
        "cohort": len(cohort),
        "qualified": len(qualified),
        "booked": len(booked),
        "held": len(held),
        "signed_up": len(signed),
        "rates": {
            "qualified": ratio(len(qualified), len(cohort)),
            "booked": ratio(len(booked), len(qualified)),
            "held": ratio(len(held), len(booked)),
            "signed_up": ratio(len(signed), len(held)),
        },
        "show_rate": ratio(len(with_held), len(with_booking)),
        "no_show_rate": ratio(
            len([s for s in with_booking if _times(s, "NO_SHOW", as_of)]), len(with_booking)
        ),
        "rebook_recovery": ratio(len(recovered), len(no_shows)),
    }


def _rebooked(steps: list[Step], as_of: datetime) -> bool:
    """A new MEETING_BOOKED within 14 days after a no-show."""
    bookings = _times(steps, "MEETING_BOOKED", as_of)
    return any(
        any(no_show < booked <= no_show + 14 * DAY for booked in bookings)
        for no_show in _times(steps, "NO_SHOW", as_of)
    )


def speed_to_lead(
    customers: list[list[Step]], start: datetime, end: datetime, as_of: datetime
) -> dict[str, Any]:
    answered: list[float] = []
    unanswered = 0
    for steps in customers:
        dms = [t for t in _times(steps, "DM_STARTED", as_of) if start <= t < end]
        if not dms:
            continue
        replies = [t for t in _times(steps, "MESSAGE_SENT", as_of) if t > dms[0]]
        if replies:
            answered.append((min(replies) - dms[0]).total_seconds())
        else:
            unanswered += 1
    answered.sort()
    within = len([seconds for seconds in answered if seconds <= 300])
    return {
        "median_s": nearest_rank(answered, 0.5),
        "p90_s": nearest_rank(answered, 0.9),
        "answered": len(answered),
        "unanswered": unanswered,
        "sla_5min_ratio": ratio(within, len(answered) + unanswered),
    }
