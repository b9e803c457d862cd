"""The answers of the stats API, as its OpenAPI document gives them: the dashboard, the DMO,
the event log and the ticker. Policy builds the figures in these models; the routes return
them as they are."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from crm_servicekit.pagination import Page
from crm_stats.policy.periods import PeriodName
from crm_stats.policy.ticker import TickerKind


class StatsPeriod(BaseModel):
    """The period's instants [from, to) in UTC, and the zone whose local days cut them."""

    name: PeriodName
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    tz: str


class Counts(BaseModel):
    new_leads: int
    dms_started: int
    invites_sent: int
    videos_sent: int
    meetings_booked: int
    meetings_held: int
    no_shows: int
    signed_up: int
    follow_ups_done: int
    reminders_due: int
    reminders_overdue: int
    next_actions_overdue: int


class DmoProgress(BaseModel):
    """Done against target; a percentage is null when its target is 0."""

    invites: int
    invites_target: int
    invites_pct: float | None
    follow_ups: int
    follow_ups_target: int
    follow_ups_pct: float | None
    met: bool


class DmoSummary(BaseModel):
    today: DmoProgress
    week: DmoProgress
    streak_days: int


class FunnelRates(BaseModel):
    """Each step over the one before it; null when the step before is empty."""

    qualified: float | None
    booked: float | None
    held: float | None
    signed_up: float | None


class Funnel(BaseModel):
    cohort: int
    qualified: int
    booked: int
    held: int
    signed_up: int
    rates: FunnelRates
    show_rate: float | None
    no_show_rate: float | None
    rebook_recovery: float | None


class SpeedToLead(BaseModel):
    median_s: float | None
    p90_s: float | None
    answered: int
    unanswered: int
    sla_5min_ratio: float | None


class CustomerStats(BaseModel):
    """GET /api/customers/stats."""

    period: StatsPeriod
    as_of: datetime
    counts: Counts
    by_status: dict[str, int]
    opted_out: int
    # Customers per term of the vocabulary the request named; absent when it named none.
    by_pipeline_status: dict[str, int] | None = Field(
        default=None, exclude_if=lambda breakdown: breakdown is None
    )
    dmo: DmoSummary
    funnel: Funnel
    speed_to_lead: SpeedToLead
    pipeline_health: float | None


class DmoDay(BaseModel):
    date: date
    invites: int
    invites_target: int
    follow_ups: int
    follow_ups_target: int
    met: bool


class DmoDays(BaseModel):
    """GET /api/stats/dmo: one item per local day, newest first, and the streak."""

    items: list[DmoDay]
    streak_days: int


class EventPage(Page[dict[str, Any]]):
    """A page of the event log, newest first: each item is an event's envelope as it was
    consumed (stored as its JSON and served unchanged)."""


class TickerItem(BaseModel):
    """An item of the live ticker; `id` is its Redis Stream id, the SSE id."""

    id: str
    kind: TickerKind
    at: str
    customer_id: str | None
    text: str
    data: dict[str, Any]


class TickerItems(BaseModel):
    """GET /api/ticker: the newest items first."""

    items: list[TickerItem]
