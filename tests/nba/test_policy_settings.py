"""The account's settings in force at `as_of` (pure): the overdue_grace that decides "an open
reminder is overdue", and the DMO targets coaching prompts are judged by."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from crm_nba.policy.coaching import DmoDay, prompts_holding, streak_may_matter
from crm_nba.policy.projection import project
from crm_nba.policy.transitions import assess, grace_changed
from crm_schemas.account_settings import AutomationSettings, SettingsChange, SettingsHistory

from .history import D, H, History, M, T

MICRO = timedelta(microseconds=1)
SEEDED = T - 30 * D
SEED = AutomationSettings()  # a grace of 1 hour, targets of 20 invites and 30 follow-ups
# Thu 5 Nov 2026; Oslo is UTC+1.
TODAY = date(2026, 11, 5)


def history(*changes: tuple[datetime, AutomationSettings]) -> SettingsHistory:
    return SettingsHistory(
        [SettingsChange(SEEDED, SEED), *(SettingsChange(at, s) for at, s in changes)], SEED
    )


def grace(value: timedelta) -> AutomationSettings:
    return SEED.merged({"overdue_grace": value.total_seconds()})


def targets(invites: int, follow_ups: int) -> AutomationSettings:
    return SEED.merged({"dmo_targets": {"invites": invites, "follow_ups": follow_ups}})


def local(hour: int, minute: int = 0, day: date = TODAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 1, minute, tzinfo=UTC)


def with_reminder_due_at(due: datetime) -> History:
    h = History()
    h.add("DM_STARTED", due - 3 * H)
    h.reminder("REMINDER_CREATED", due - 2 * H, uuid.uuid4(), "follow_up_2h", due)
    return h


def test_a_longer_grace_makes_a_reminder_overdue_later() -> None:
    h = with_reminder_due_at(T)
    p = project(h.customer, h.events)
    longer = history((T + 30 * M, grace(3 * H)))
    assert assess(p, T + 2 * H, history()).recommendation.action == "follow_up_now"
    at_two_hours = assess(p, T + 2 * H, longer)
    assert at_two_hours.recommendation.action != "follow_up_now"
    assert at_two_hours.next_change_at == T + 3 * H + MICRO
    assert assess(p, T + 3 * H + MICRO, longer).recommendation.action == "follow_up_now"


def test_a_shorter_grace_makes_a_reminder_overdue_earlier() -> None:
    h = with_reminder_due_at(T)
    p = project(h.customer, h.events)
    shorter = history((T + 10 * M, grace(timedelta(0))))
    assert assess(p, T + 20 * M, history()).recommendation.action != "follow_up_now"
    found = assess(p, T + 20 * M, shorter)
    assert found.recommendation.action == "follow_up_now"
    # Overdue since the shorter grace came into force, not since the reminder was due.
    assert found.valid_from == T + 10 * M
    assert assess(p, T + 5 * M, shorter).next_change_at == T + 10 * M


def test_a_grace_raised_later_ends_an_overdue_answer_then_and_the_timer_knows() -> None:
    h = with_reminder_due_at(T)
    p = project(h.customer, h.events)
    # Known now, in force from T + 2h: the stored answer (overdue) holds until then.
    raised = history((T + 2 * H, grace(D)))
    now = assess(p, T + 90 * M, raised)
    assert now.recommendation.action == "follow_up_now"
    assert now.next_change_at == T + 2 * H
    then = assess(p, T + 2 * H, raised)
    assert then.recommendation.action != "follow_up_now"
    assert then.next_change_at == T + D + MICRO


def test_coaching_uses_the_targets_in_force_at_the_prompts_instant() -> None:
    lowered = history((local(18), targets(5, 30)))
    days = {TODAY: DmoDay(invites=6, follow_ups=0)}
    before = {p.kind.value: p.text for p in prompts_holding(local(17, 59), lowered, days, 0)}
    assert before == {
        "invites_left": "14 invites left today",
        "follow_ups_left": "30 follow-ups left today",
    }
    after = {p.kind.value: p.text for p in prompts_holding(local(18, 1), lowered, days, 0)}
    assert after == {"follow_ups_left": "30 follow-ups left today"}


def test_a_target_of_zero_leaves_nothing_to_do_and_is_met() -> None:
    zero_invites = history((local(8), targets(0, 2)))
    days = {TODAY: DmoDay(invites=0, follow_ups=1)}
    found = {p.kind.value for p in prompts_holding(local(13), zero_invites, days, 0)}
    assert found == {"follow_ups_left"}
    done = {TODAY: DmoDay(invites=0, follow_ups=2)}
    found = {p.kind.value: p.text for p in prompts_holding(local(13), zero_invites, done, 0)}
    assert found == {"targets_met": "Targets met today: 0 invites and 2 follow-ups"}
    nothing = history((local(8), targets(0, 0)))
    assert {p.kind.value for p in prompts_holding(local(13), nothing, {}, 0)} == {"targets_met"}


def test_each_day_of_a_streak_is_judged_by_the_targets_of_its_end() -> None:
    # Two days met under targets of 2 and 3 that were raised to 20 and 30 this morning.
    yesterday, before = TODAY - timedelta(days=1), TODAY - timedelta(days=2)
    changed = history((local(8), targets(20, 30)))
    low = history((local(8, day=before), targets(2, 3)), (local(8), targets(20, 30)))
    days = {before: DmoDay(2, 3), yesterday: DmoDay(2, 3), TODAY: DmoDay(1, 0)}
    at_risk = {p.kind.value: p.text for p in prompts_holding(local(18), low, days, 0)}
    assert at_risk["streak_at_risk"] == (
        "Your 2-day streak is at risk: 19 invites and 30 follow-ups to go today"
    )
    assert "streak_at_risk" not in {
        p.kind.value for p in prompts_holding(local(18), changed, days, 0)
    }


def test_a_streak_of_zero_targets_reaches_back_no_further_than_the_accounts_first_event() -> None:
    # Targets of 0 for years, raised today: every earlier day is "met", but a streak starts
    # no earlier than the local day of the account's first event (or, not knowing it, the
    # first day anything was counted).
    zero_then_raised = SettingsHistory(
        [SettingsChange(T - 3650 * D, targets(0, 0)), SettingsChange(local(8), targets(5, 5))],
        SEED,
    )
    days = {TODAY - timedelta(days=3): DmoDay(1, 0), TODAY: DmoDay(1, 0)}
    assert streak_may_matter(local(18), zero_then_raised, days, set())

    def at_risk(since: date | None) -> str:
        found = prompts_holding(local(18), zero_then_raised, days, 0, since)
        return {p.kind.value: p.text for p in found}["streak_at_risk"]

    to_go = "4 invites and 5 follow-ups to go today"
    assert at_risk(None) == f"Your 3-day streak is at risk: {to_go}"
    assert at_risk(TODAY - timedelta(days=5)) == f"Your 5-day streak is at risk: {to_go}"


def test_only_a_change_of_the_grace_changes_answers() -> None:
    base = AutomationSettings()
    seed = SettingsChange(T, base)
    targets = SettingsChange(T + H, base.merged({"dmo_targets": {"invites": 3}}))
    grace = SettingsChange(T + 2 * H, targets.settings.merged({"overdue_grace": "PT3H"}))
    history = SettingsHistory([seed, targets, grace], base)
    assert not grace_changed(history, seed)
    assert not grace_changed(history, targets)
    assert grace_changed(history, grace)
    other = SettingsHistory([seed], base.merged({"overdue_grace": "PT2H"}))
    assert grace_changed(other, seed)
