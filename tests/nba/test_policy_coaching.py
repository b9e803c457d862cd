"""Coaching conditions (pure): the prompts that hold, the streak, and what counts to the DMO."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crm_nba.policy.coaching import (
    DmoDay,
    dmo_kind,
    prompts_holding,
    streak,
    streak_may_matter,
)
from crm_nba.policy.coaching import DmoTargets as Targets
from crm_schemas.system_properties import CoachingKind
from crm_servicekit.accounts import Account, DmoTargets

from .history import History, T, unchanged

OSLO = unchanged(Account(account_id="acme", dmo_targets=DmoTargets(invites=20, follow_ups=30)))
# Thu 5 Nov 2026; Oslo is UTC+1.
TODAY = date(2026, 11, 5)


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 5, hour - 1, minute, tzinfo=UTC)


def kinds(as_of: datetime, days: dict[date, DmoDay], rebooks: int = 0) -> dict[str, str]:
    return {p.kind.value: p.text for p in prompts_holding(as_of, OSLO, days, rebooks)}


def met_days(count: int, before: date = TODAY) -> dict[date, DmoDay]:
    return {before - timedelta(days=n): DmoDay(20, 30) for n in range(1, count + 1)}


def test_left_prompts_start_at_noon_local() -> None:
    days = {TODAY: DmoDay(invites=3, follow_ups=29)}
    assert kinds(local(11, 59), days) == {}
    assert kinds(local(12, 0), days) == {
        "invites_left": "17 invites left today",
        "follow_ups_left": "1 follow-up left today",
    }


def test_a_met_target_has_no_left_prompt() -> None:
    assert set(kinds(local(13), {TODAY: DmoDay(20, 2)})) == {"follow_ups_left"}


def test_targets_met_any_time_of_day() -> None:
    found = kinds(local(9), {TODAY: DmoDay(21, 30)})
    assert found == {"targets_met": "Targets met today: 21 invites and 30 follow-ups"}


def test_streak_at_risk_from_18_with_two_days_or_more() -> None:
    days = met_days(2) | {TODAY: DmoDay(19, 30)}
    assert "streak_at_risk" not in kinds(local(17, 59), days)
    assert kinds(local(18), days)["streak_at_risk"] == (
        "Your 2-day streak is at risk: 1 invite to go today"
    )
    one_day = met_days(1) | {TODAY: DmoDay(0, 0)}
    assert "streak_at_risk" not in kinds(local(19), one_day)
    done = met_days(3) | {TODAY: DmoDay(20, 30)}
    assert "streak_at_risk" not in kinds(local(19), done)


def test_rebooks_waiting() -> None:
    assert kinds(local(8), {}, rebooks=2) == {
        "rebooks_waiting": "2 no-shows waiting to be rebooked"
    }
    assert kinds(local(8), {}, rebooks=1)["rebooks_waiting"] == "1 no-show waiting to be rebooked"


def test_the_local_day_decides_which_counts_are_today() -> None:
    # 23:30 UTC on the 4th is already the 5th in Oslo.
    late = datetime(2026, 11, 4, 23, 30, tzinfo=UTC)
    prompts = prompts_holding(late, OSLO, {TODAY: DmoDay(20, 30)}, 0)
    assert [(p.kind, p.local_date) for p in prompts] == [(CoachingKind.TARGETS_MET, "2026-11-05")]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ({}, 0),
        (met_days(3), 3),
        (met_days(3) | {TODAY: DmoDay(20, 30)}, 4),
        (met_days(3) | {TODAY - timedelta(days=2): DmoDay(20, 29)}, 1),
        ({TODAY - timedelta(days=2): DmoDay(20, 30)}, 0),
    ],
)
def test_streak(days: dict[date, DmoDay], expected: int) -> None:
    assert streak(days, TODAY, lambda _: Targets(20, 30)) == expected


@given(
    # Days met or not (targets 20 and 30), so that streaks are common.
    st.lists(st.sampled_from([(20, 30), (25, 31), (19, 30), (20, 29), (0, 0)]), max_size=12),
    # Minutes of the local day on each side of noon and of six in the evening.
    st.sampled_from([0, 11 * 60 + 59, 12 * 60, 17 * 60 + 59, 18 * 60, 23 * 60 + 59]),
    st.sets(st.sampled_from([k.value for k in CoachingKind])),
    st.integers(0, 3),
)
@example([(19, 30), (20, 30), (20, 30)], 18 * 60 + 30, set(), 0)  # a streak at risk
@settings(max_examples=300)
def test_the_timer_reads_the_days_before_today_only_when_the_streak_can_matter(
    tallies: list[tuple[int, int]], minute: int, emitted: set[str], rebooks: int
) -> None:
    """What the timer can still emit is the same whether it read today's counts alone or
    the whole history, whenever streak_may_matter says the history is not needed."""
    as_of = local(1) - timedelta(hours=1) + timedelta(minutes=minute)  # local midnight on
    full = {TODAY - timedelta(days=n): DmoDay(*t) for n, t in enumerate(tallies)}
    today_only = {TODAY: full[TODAY]} if TODAY in full else {}
    if streak_may_matter(as_of, OSLO, today_only, emitted):
        return  # the timer reads the whole history then
    emittable = [
        [p for p in prompts_holding(as_of, OSLO, days, rebooks) if p.kind.value not in emitted]
        for days in (full, today_only)
    ]
    assert emittable[0] == emittable[1]


def test_the_streak_matters_from_six_on_an_unmet_day_until_its_prompt_is_out() -> None:
    days = {TODAY: DmoDay(invites=19, follow_ups=30)}
    assert not streak_may_matter(local(17, 59), OSLO, days, set())
    assert streak_may_matter(local(18, 0), OSLO, days, set())
    assert streak_may_matter(local(18, 0), OSLO, days, {"invites_left"})
    assert not streak_may_matter(local(18, 0), OSLO, days, {"streak_at_risk"})
    assert not streak_may_matter(local(18, 0), OSLO, {TODAY: DmoDay(20, 30)}, set())


@pytest.mark.parametrize(
    ("type_", "completed_by", "counted"),
    [
        ("follow_up_2h", "person", "follow_up"),
        ("follow_up_7d", "person", "follow_up"),
        ("follow_up_2h", "follow_up_done", None),
        ("custom", "person", None),
    ],
)
def test_a_reminder_counts_as_a_follow_up_when_a_person_completed_a_follow_up(
    type_: str, completed_by: str, counted: str | None
) -> None:
    h = History()
    done = h.reminder("REMINDER_COMPLETED", T, uuid.uuid4(), type_, T, completed_by=completed_by)
    assert dmo_kind(done) == counted


def test_invites_and_follow_ups_count_towards_the_dmo_and_nothing_else() -> None:
    h = History()
    assert dmo_kind(h.add("INVITE_SENT", T)) == "invite"
    assert dmo_kind(h.add("FOLLOW_UP_DONE", T)) == "follow_up"
    assert dmo_kind(h.add("MESSAGE_SENT", T, {"channel": "ig"})) is None
    assert dmo_kind(h.reminder("REMINDER_CREATED", T, uuid.uuid4(), "follow_up_2h", T)) is None
