"""When the answer changes without an event, and projections that ignore arrival order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_nba.policy.projection import project
from crm_nba.policy.table import recommend
from crm_nba.policy.transitions import assess, is_news, same_answer
from crm_servicekit.accounts import Account

from .history import D, H, History, M, T, s1, s_inactivity, s_noshow, s_video, unchanged

ACME = unchanged(Account(account_id="acme"))
MICRO = timedelta(microseconds=1)
SCENARIOS: list[Callable[[History], Any]] = [s_noshow, s_video, s_inactivity, s1]


def built(scenario: Callable[[History], Any]) -> History:
    h = History()
    scenario(h)
    return h


def test_s_video_changes_at_24h_then_once_the_reminder_is_overdue() -> None:
    p = project((h := built(s_video)).customer, h.events)
    assert assess(p, T + 3 * H + M, ACME).next_change_at == T + 27 * H
    at_24h = assess(p, T + 27 * H, ACME)
    assert at_24h.next_change_at == T + 28 * H + MICRO
    assert at_24h.valid_from == T + 27 * H
    overdue = assess(p, T + 28 * H + MICRO, ACME)
    assert overdue.recommendation.action == "follow_up_now"
    # The oldest overdue reminder stays the answer; nothing changes by time alone.
    assert overdue.next_change_at is None


def test_s_inactivity_changes_at_seven_days_then_when_overdue() -> None:
    p = project((h := built(s_inactivity)).customer, h.events)
    assert assess(p, T + 6 * D, ACME).next_change_at == T + 12 * D
    assert assess(p, T + 12 * D, ACME).next_change_at == T + 12 * D + H + MICRO


def test_signed_up_changes_to_none_after_30_days() -> None:
    h = History()
    h.add("JOINED_TEAM", T)
    p = project(h.customer, h.events)
    assert assess(p, T, ACME).next_change_at == T + 30 * D + MICRO


@settings(max_examples=60, deadline=None)
@given(
    scenario=st.sampled_from(SCENARIOS),
    offset_minutes=st.integers(min_value=0, max_value=20 * 24 * 60),
    probes=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=5),
)
def test_the_answer_holds_until_the_next_change_and_differs_there(
    scenario: Callable[[History], Any], offset_minutes: int, probes: list[float]
) -> None:
    h = built(scenario)
    p = project(h.customer, h.events)
    as_of = T + timedelta(minutes=offset_minutes)
    found = assess(p, as_of, ACME)
    horizon = found.next_change_at or as_of + 60 * D
    for fraction in probes:
        moment = as_of + (horizon - as_of - MICRO) * fraction
        assert same_answer(recommend(p, moment, ACME), found.recommendation)
    if found.next_change_at is not None:
        assert not same_answer(recommend(p, found.next_change_at, ACME), found.recommendation)
    if found.valid_from is not None:
        assert same_answer(recommend(p, found.valid_from, ACME), found.recommendation)


@settings(max_examples=60, deadline=None)
@given(scenario=st.sampled_from(SCENARIOS), data=st.data())
def test_pipeline_facts_in_any_arrival_order_give_the_same_projection(
    scenario: Callable[[History], Any], data: st.DataObject
) -> None:
    h = built(scenario)
    facts = [e for e in h.events if not e.event_name.startswith("REMINDER_")]
    reminders = [e for e in h.events if e.event_name.startswith("REMINDER_")]
    shuffled = data.draw(st.permutations(facts))
    assert project(h.customer, [*shuffled, *reminders]) == project(h.customer, h.events)


def test_a_first_answer_is_news_unless_none_and_a_later_one_when_it_reads_otherwise() -> None:
    h = built(s_noshow)
    rebook = recommend(project(h.customer, h.events), T + 5 * H, ACME)
    assert rebook.action == "rebook"
    # Recomputed later with the same answer: computed_at differs, nothing to announce.
    again = recommend(project(h.customer, h.events), T + 5 * H + M, ACME)
    assert same_answer(rebook, again)
    assert not is_news(rebook, again)
    assert is_news(None, rebook)
    h.add("UNSUBSCRIBED", T + 5 * H)
    nothing = recommend(project(h.customer, h.events), T + 6 * H, ACME)
    assert nothing.action == "none"
    assert not is_news(None, nothing)
    assert is_news(rebook, nothing)
