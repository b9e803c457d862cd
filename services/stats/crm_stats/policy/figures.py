"""The dashboard's figures from what the store selected for one request (pure, no I/O).

The repository (or the tests' in-memory ledger) selects the rows a request needs; everything
computed from them lives here, so the database path and the reference path share the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from crm_schemas.pipeline import (
    OPEN_STATUSES,
    PIPELINE_ORDER,
    Booking,
    BookingState,
    PipelineState,
    Status,
)
from crm_schemas.vocabulary import VOCABULARY_TERMS, Vocabulary, reverse
from crm_stats.policy.dmo import AccountDays, dmo_summary
from crm_stats.policy.milestones import Tally
from crm_stats.policy.periods import Period
from crm_stats.schemas import (
    Counts,
    CustomerStats,
    Funnel,
    FunnelRates,
    SpeedToLead,
    StatsPeriod,
)

SLA = timedelta(minutes=5)
REBOOK_WINDOW = timedelta(days=14)
HEALTHY_WITHIN = timedelta(days=7)
ALL_STATUSES: tuple[Status, ...] = (*PIPELINE_ORDER, Status.NOT_NOW)


def ratio(part: int, whole: int) -> float | None:
    """Empty denominators give null, not 0."""
    return part / whole if whole else None


def nearest_rank(sorted_values: Sequence[float], p: float) -> float | None:
    """The value at rank ⌈p·n⌉ (1-based) of the sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p * len(sorted_values)))
    return sorted_values[rank - 1]


# Named tuples, not frozen dataclasses: a dashboard request builds one per cohort customer
# and first reply (thousands for a long period), and a frozen dataclass's __init__, which
# sets each field through object.__setattr__, was 8% of the stats service's CPU under load.
class FunnelCustomer(NamedTuple):
    """A cohort customer's milestones (instants after as_of already dropped by the caller
    or by `reached`)."""

    customer_id: UUID
    qualified_at: datetime | None
    presented_at: datetime | None
    signed_up_at: datetime | None
    booked_at: datetime | None
    held_at: datetime | None
    no_show_at: datetime | None
    bookings: tuple[datetime, ...] = ()
    no_shows: tuple[datetime, ...] = ()


class FirstReply(NamedTuple):
    """A customer's DM_STARTED in the period and their first MESSAGE_SENT after it."""

    dm_at: datetime
    reply_at: datetime | None


@dataclass(frozen=True)
class StateCount:
    status: Status
    booking: BookingState
    joined_team: bool
    opted_out: bool
    customers: int


@dataclass(frozen=True)
class OpenReminders:
    """Reminders open at as_of (opened_at <= as_of < closed_at), from the account's counter
    of reminders open now and the few rows where as_of and now disagree."""

    open_now: int  # closed_at IS NULL
    scheduled_later: int  # open now, scheduled after as_of
    opened_later: int  # open now, scheduled by as_of, opened after it
    closed_later: int  # opened and scheduled by as_of, closed after it
    within_grace: int  # open at as_of, scheduled in [as_of - grace, as_of]

    @property
    def due(self) -> int:
        return self.open_now - self.scheduled_later - self.opened_later + self.closed_later

    @property
    def overdue(self) -> int:
        """Due more than the grace ago (scheduled_for < as_of - grace)."""
        return self.due - self.within_grace


@dataclass(frozen=True)
class StatsInputs:
    period: Period
    as_of: datetime
    tallies: dict[Tally, int]
    new_leads: int
    dms_started: int
    signed_up: int
    reminders_due: int
    reminders_overdue: int
    next_actions_overdue: int
    states: Sequence[StateCount]
    cohort: Sequence[FunnelCustomer]
    replies: Sequence[FirstReply]
    healthy: int
    open_customers: int
    dmo: AccountDays


def reached(moment: datetime | None, as_of: datetime) -> bool:
    return moment is not None and moment <= as_of


def _recovered(customer: FunnelCustomer, as_of: datetime) -> bool:
    """A new MEETING_BOOKED within 14 days after one of the customer's no-shows."""
    return any(
        no_show < booked <= no_show + REBOOK_WINDOW
        for no_show in customer.no_shows
        if no_show <= as_of
        for booked in customer.bookings
        if booked <= as_of
    )


def funnel(cohort: Sequence[FunnelCustomer], as_of: datetime) -> Funnel:
    size = len(cohort)
    # One pass over the cohort: a week of a large account is thousands of customers.
    qualified = booked = held = signed_up = 0
    with_booking = showed = no_showed = any_no_show = recovered = 0
    for c in cohort:
        presented = reached(c.presented_at, as_of)
        has_booking = reached(c.booked_at, as_of)
        has_held = reached(c.held_at, as_of)
        has_no_show = reached(c.no_show_at, as_of)
        qualified += reached(c.qualified_at, as_of)
        booked += has_booking or presented
        held += has_held or presented
        signed_up += reached(c.signed_up_at, as_of)
        with_booking += has_booking
        showed += has_booking and has_held
        no_showed += has_booking and has_no_show
        any_no_show += has_no_show
        recovered += has_no_show and _recovered(c, as_of)
    return Funnel(
        cohort=size,
        qualified=qualified,
        booked=booked,
        held=held,
        signed_up=signed_up,
        rates=FunnelRates(
            qualified=ratio(qualified, size),
            booked=ratio(booked, qualified),
            held=ratio(held, booked),
            signed_up=ratio(signed_up, held),
        ),
        show_rate=ratio(showed, with_booking),
        no_show_rate=ratio(no_showed, with_booking),
        rebook_recovery=ratio(recovered, any_no_show),
    )


def speed_to_lead(replies: Sequence[FirstReply], as_of: datetime) -> SpeedToLead:
    times = sorted(
        (r.reply_at - r.dm_at).total_seconds()
        for r in replies
        if r.reply_at is not None and r.reply_at <= as_of
    )
    within_sla = sum(1 for t in times if t <= SLA.total_seconds())
    return SpeedToLead(
        median_s=nearest_rank(times, 0.5),
        p90_s=nearest_rank(times, 0.9),
        answered=len(times),
        unanswered=len(replies) - len(times),
        sla_5min_ratio=ratio(within_sla, len(replies)),
    )


def open_customers(states: Sequence[StateCount]) -> int:
    """Customers at an open stage who did not opt out: pipeline health's denominator."""
    return sum(row.customers for row in states if row.status in OPEN_STATUSES and not row.opted_out)


def by_status(states: Sequence[StateCount]) -> dict[str, int]:
    counts = {status.value: 0 for status in ALL_STATUSES}
    for row in states:
        counts[row.status.value] += row.customers
    return counts


def by_pipeline_status(states: Sequence[StateCount], vocabulary: Vocabulary) -> dict[str, int]:
    """Customers per term of the vocabulary; every term the vocabulary shows is listed."""
    counts = {term: 0 for term in VOCABULARY_TERMS[vocabulary]}
    for row in states:
        state = PipelineState(
            status=row.status, booking=Booking(state=row.booking), joined_team=row.joined_team
        )
        term = reverse(state, vocabulary)
        counts[term] = counts.get(term, 0) + row.customers
    return counts


def stats_figures(inputs: StatsInputs, vocabulary: Vocabulary | None) -> CustomerStats:
    """The body of GET /api/customers/stats (CustomerStats, as the OpenAPI document gives it)."""
    period = inputs.period
    tallies = inputs.tallies
    return CustomerStats(
        period=StatsPeriod(name=period.name, start=period.start, end=period.end, tz=period.tz),
        as_of=inputs.as_of,
        counts=Counts(
            new_leads=inputs.new_leads,
            dms_started=inputs.dms_started,
            invites_sent=tallies.get(Tally.INVITES, 0),
            videos_sent=tallies.get(Tally.VIDEOS, 0),
            meetings_booked=tallies.get(Tally.BOOKED, 0),
            meetings_held=tallies.get(Tally.HELD, 0),
            no_shows=tallies.get(Tally.NO_SHOWS, 0),
            signed_up=inputs.signed_up,
            follow_ups_done=tallies.get(Tally.FOLLOW_UPS, 0),
            reminders_due=inputs.reminders_due,
            reminders_overdue=inputs.reminders_overdue,
            next_actions_overdue=inputs.next_actions_overdue,
        ),
        by_status=by_status(inputs.states),
        opted_out=sum(row.customers for row in inputs.states if row.opted_out),
        by_pipeline_status=(
            by_pipeline_status(inputs.states, vocabulary) if vocabulary is not None else None
        ),
        dmo=dmo_summary(inputs.dmo),
        funnel=funnel(inputs.cohort, inputs.as_of),
        speed_to_lead=speed_to_lead(inputs.replies, inputs.as_of),
        pipeline_health=ratio(inputs.healthy, inputs.open_customers),
    )
