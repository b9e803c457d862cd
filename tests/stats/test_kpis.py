"""The KPI math against hand-computed figures of a scripted week (no servers)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_schemas.envelope import EventEnvelope
from crm_schemas.vocabulary import Vocabulary
from crm_stats.policy.dmo import DayTally, DmoTargets, dmo_days, streak
from crm_stats.policy.figures import nearest_rank, stats_figures
from crm_stats.policy.periods import PeriodName, resolve_period

from .ledger import Ledger, judged_days
from .scripted_week import (
    AS_OF,
    EXPECTED_BY_STATUS,
    EXPECTED_COUNTS,
    EXPECTED_DAYS,
    EXPECTED_DMO,
    EXPECTED_FUNNEL,
    EXPECTED_HEALTH,
    EXPECTED_SALES,
    EXPECTED_SPEED,
    NY_AS_OF,
    WEEK_FROM,
    WEEK_TO,
    ny_sunday,
    oslo_week,
)

OSLO_ZONE = ZoneInfo("Europe/Oslo")
TARGETS = DmoTargets(invites=2, follow_ups=1)
GRACE_S = 3600.0


def week_figures(
    events: list[EventEnvelope], pipeline: Vocabulary | None = Vocabulary.SALES
) -> dict[str, Any]:
    ledger = Ledger(OSLO_ZONE, TARGETS)
    ledger.apply_all(events)
    period = resolve_period(PeriodName.WEEK, AS_OF, OSLO_ZONE)
    return stats_figures(ledger.inputs(period, AS_OF, GRACE_S), pipeline).model_dump(
        mode="json", by_alias=True
    )


def test_the_week_is_cut_in_local_time_across_the_dst_change() -> None:
    period = resolve_period(PeriodName.WEEK, AS_OF, OSLO_ZONE)
    assert (period.start, period.end) == (WEEK_FROM, WEEK_TO)
    assert period.end - period.start == timedelta(days=7, hours=1)
    today = resolve_period(PeriodName.TODAY, AS_OF, OSLO_ZONE)
    assert today.end - today.start == timedelta(hours=25)


def test_scripted_week_gives_the_hand_computed_figures() -> None:
    figures = week_figures(oslo_week())
    assert figures["counts"] == EXPECTED_COUNTS
    assert figures["by_status"] == EXPECTED_BY_STATUS
    assert figures["opted_out"] == 1
    assert figures["by_pipeline_status"] == EXPECTED_SALES
    assert figures["funnel"] == EXPECTED_FUNNEL
    assert figures["speed_to_lead"] == EXPECTED_SPEED
    assert figures["dmo"] == EXPECTED_DMO
    assert figures["pipeline_health"] == pytest.approx(EXPECTED_HEALTH)


def test_without_a_pipeline_there_is_no_vocabulary_breakdown() -> None:
    assert "by_pipeline_status" not in week_figures(oslo_week(), None)


@pytest.mark.parametrize("seed", range(5))
def test_any_arrival_order_gives_the_same_period_figures(seed: int) -> None:
    # State events keep their order (the customers service announces them in order per
    # customer); every fact may arrive in any order and any number of times.
    events = oslo_week()
    facts = [e for e in events if e.source.value != "system"]
    shuffled = facts + random.Random(seed).sample(facts, len(facts))
    reordered = [e for e in events if e.source.value == "system"] + shuffled
    figures, expected = week_figures(reordered), week_figures(events)
    for key in ("counts", "funnel", "speed_to_lead", "dmo", "by_status", "pipeline_health"):
        assert figures[key] == expected[key], key


def test_dmo_per_local_day_newest_first() -> None:
    ledger = Ledger(OSLO_ZONE, TARGETS)
    ledger.apply_all(oslo_week())
    body = dmo_days(ledger.account_days(AS_OF), 7).model_dump(mode="json")
    got = [(i["date"], i["invites"], i["follow_ups"]) for i in body["items"]]
    assert got == EXPECTED_DAYS
    assert [i["met"] for i in body["items"]] == [True, True, True, True, False, True, True]
    assert body["streak_days"] == 4


def test_new_york_sunday_is_25_hours_and_empty_denominators_are_null() -> None:
    zone = ZoneInfo("America/New_York")
    ledger = Ledger(zone, DmoTargets(20, 30))
    ledger.apply_all(ny_sunday())
    period = resolve_period(PeriodName.TODAY, NY_AS_OF, zone)
    assert period.start == datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 2, 5, tzinfo=UTC)
    inputs = ledger.inputs(period, NY_AS_OF, GRACE_S)
    figures = stats_figures(inputs, None).model_dump(mode="json", by_alias=True)
    assert figures["counts"]["invites_sent"] == 2
    assert figures["dmo"]["today"]["invites"] == 2
    assert figures["dmo"]["today"]["invites_pct"] == pytest.approx(0.1)
    assert figures["dmo"]["streak_days"] == 0
    assert figures["funnel"]["rates"] == {
        "qualified": None,
        "booked": None,
        "held": None,
        "signed_up": None,
    }
    assert figures["funnel"]["show_rate"] is None
    assert figures["funnel"]["rebook_recovery"] is None
    assert figures["speed_to_lead"] == {
        "median_s": None,
        "p90_s": None,
        "answered": 0,
        "unanswered": 0,
        "sla_5min_ratio": None,
    }
    assert figures["pipeline_health"] is None


def test_a_streak_waits_for_today_then_counts_it() -> None:
    today = AS_OF.astimezone(OSLO_ZONE).date()
    tallies = {today - timedelta(days=n): DayTally(2, 1) for n in range(1, 4)}

    def counted() -> int:
        return streak(judged_days(tallies, TARGETS, AS_OF, OSLO_ZONE, min(tallies)))

    assert counted() == 3  # today not met yet: ends yesterday
    tallies[today] = DayTally(5, 1)
    assert counted() == 4
    tallies[today - timedelta(days=2)] = DayTally(1, 1)
    assert counted() == 2


def test_nearest_rank_examples() -> None:
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([7.0], 0.9) == 7.0
    values = [float(v) for v in range(1, 11)]
    assert nearest_rank(values, 0.5) == 5.0
    assert nearest_rank(values, 0.9) == 9.0
    assert nearest_rank([1.0, 2.0, 3.0], 0.5) == 2.0


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50), st.floats(0.01, 1.0))
def test_nearest_rank_is_a_member_with_enough_values_below(values: list[float], p: float) -> None:
    ordered = sorted(values)
    chosen = nearest_rank(ordered, p)
    assert chosen in ordered
    assert sum(1 for v in ordered if v <= chosen) >= p * len(ordered) - 1e-9
