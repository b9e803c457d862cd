"""Each DMO day judged by the targets in force at the earlier of its end and as_of, the week's
target as the sum of its days', the streak across a change, and the overdue grace in force at
as_of (pure: the in-memory reference store)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from crm_stats.policy.dmo import DayTally, DmoTargets, dmo_days, dmo_summary, streak
from crm_stats.policy.figures import stats_figures
from crm_stats.policy.periods import PeriodName, resolve_period

from .changing_settings import (
    ACCOUNT,
    AS_OF,
    ZONE,
    facts,
    local,
    week,
)
from .ledger import Ledger
from .scripted_week import AS_OF as WEEK_AS_OF
from .scripted_week import EXPECTED_DMO, OSLO, oslo_week
from .settings_events import seeded, settings_changed

FILE_TARGETS = DmoTargets(2, 1)
GRACE_S = ACCOUNT.overdue_grace.total_seconds()


def ledger_of(events: list[Any]) -> Ledger:
    ledger = Ledger(ZONE, FILE_TARGETS)
    ledger.apply_all(events)
    return ledger


def days_at(as_of: datetime, events: list[Any] | None = None) -> dict[str, Any]:
    ledger = ledger_of(week() if events is None else events)
    body = dmo_days(ledger.account_days(as_of, GRACE_S), 4).model_dump(mode="json")
    items = body["items"]
    return {
        "targets": [(i["date"], i["invites_target"], i["follow_ups_target"]) for i in items],
        "met": [i["met"] for i in items],
        "streak": body["streak_days"],
    }


def test_a_target_lowered_at_18_judges_that_day_and_not_the_day_before() -> None:
    judged = days_at(AS_OF)
    assert judged["targets"] == [
        ("2026-11-05", 1, 1),
        ("2026-11-04", 1, 1),  # lowered at 18:00: the whole day by the new target
        ("2026-11-03", 2, 1),  # ended before the change: the old target
        ("2026-11-02", 2, 1),
    ]
    assert judged["met"] == [True, True, False, True]
    assert judged["streak"] == 2  # Thursday and Wednesday; Tuesday fell short of 2 invites


def test_a_change_after_as_of_does_not_apply_yet() -> None:
    before_lowering = days_at(local(4, 17, 59))
    assert before_lowering["targets"][0] == ("2026-11-04", 2, 1)
    assert before_lowering["met"][0] is False
    # The 5 follow-ups from Thursday 15:00 judge Thursday only once as_of reaches them.
    assert days_at(AS_OF)["targets"][0] == ("2026-11-05", 1, 1)
    afternoon = days_at(local(5, 15))
    assert afternoon["targets"][0] == ("2026-11-05", 1, 5)
    assert afternoon["met"][0] is False
    assert afternoon["streak"] == 1  # today not met yet: Wednesday alone


def test_a_change_at_local_midnight_judges_the_day_it_starts() -> None:
    at_midnight = settings_changed(ACCOUNT, local(4, 0), {"dmo_targets": {"invites": 1}})
    judged = days_at(AS_OF, [seeded(ACCOUNT, local(2, 8)), at_midnight, *facts()])
    assert [t[1] for t in judged["targets"]] == [1, 1, 2, 2]


def test_the_week_target_is_the_sum_of_its_days_targets() -> None:
    summary = dmo_summary(ledger_of(week()).account_days(AS_OF, GRACE_S))
    # Monday and Tuesday 2 invites, Wednesday 1, and Thursday to Sunday the 1 in force at as_of.
    assert (summary.week.invites_target, summary.week.follow_ups_target) == (9, 7)
    assert (summary.week.invites, summary.week.follow_ups) == (5, 4)
    assert (summary.today.invites_target, summary.today.met) == (1, True)


def test_targets_of_zero_from_a_change_count_only_the_days_it_judges() -> None:
    to_zero = settings_changed(
        ACCOUNT, local(4, 18), {"dmo_targets": {"invites": 0, "follow_ups": 0}}
    )
    ledger = ledger_of([seeded(ACCOUNT, local(2, 8)), to_zero, *facts()])
    # Friday: Friday, Thursday and Wednesday are met by any count; Tuesday missed its 2 invites.
    assert streak(ledger.account_days(local(6, 12), GRACE_S)) == 3


def test_the_overdue_grace_in_force_at_as_of() -> None:
    ledger = ledger_of(week())

    def overdue(as_of: datetime) -> int:
        period = resolve_period(PeriodName.TODAY, as_of, ZONE)
        return ledger.inputs(period, as_of, GRACE_S).reminders_overdue

    assert overdue(local(5, 8, 59) + timedelta(hours=2)) == 0  # 10:59: the 3 hours hold
    assert overdue(AS_OF) == 0  # due 2.5 hours, the grace is 3 hours since 09:00
    assert overdue(local(5, 12, 31)) == 1
    # Without the change the file's hour holds, and the reminder is overdue at AS_OF.
    unchanged = ledger_of([e for e in week() if e.event_id != "settings:changing:grace"])
    period = resolve_period(PeriodName.TODAY, AS_OF, ZONE)
    assert unchanged.inputs(period, AS_OF, GRACE_S).reminders_overdue == 1


def test_a_seed_alone_leaves_every_figure_as_the_accounts_file_gives_it() -> None:
    events = oslo_week()
    period = resolve_period(PeriodName.WEEK, WEEK_AS_OF, ZONE)
    first = min(e.timestamp for e in events)
    oslo = ACCOUNT.model_copy(update={"account_id": OSLO})
    figures = []
    for history in ([], [seeded(oslo, first)]):
        ledger = ledger_of([*history, *events])
        inputs = ledger.inputs(period, WEEK_AS_OF, GRACE_S)
        figures.append(stats_figures(inputs, None).model_dump(mode="json", by_alias=True))
    assert figures[0] == figures[1]
    assert figures[1]["dmo"] == EXPECTED_DMO


def test_without_a_change_every_day_has_the_files_targets() -> None:
    ledger = ledger_of(facts())
    days = ledger.account_days(AS_OF, GRACE_S)
    assert {days.targets.on(date(2026, 11, d)) for d in range(1, 9)} == {FILE_TARGETS}
    assert days.tally(date(2026, 11, 2)) == DayTally(2, 1)
