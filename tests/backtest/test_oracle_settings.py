"""The oracle applies the backtest's settings changes from their effective_from: reminders by
the settings in force at their trigger, DMO days by the targets in force at the earlier of the
day's end and as_of, and a streak with targets of 0 bounded by the account's first event."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from crm_backtest.accounts import AccountProfile, SettingsChange
from crm_backtest.generator import generate, run_tag
from crm_backtest.history import Fact
from crm_backtest.kpis import dmo
from crm_backtest.reminders import expected_reminders
from crm_backtest.settings_in_force import duration, settings_at

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Oslo
CHANGE = T + timedelta(days=1)
FASTER = SettingsChange(
    CHANGE,
    {
        "reminders": {"follow_up_2h": {"delay": "PT1H"}, "follow_up_48h": {"enabled": False}},
        "dmo_targets": {"invites": 1},
        "overdue_grace": "PT30M",
    },
)
PROFILE = AccountProfile("acct", time_zone="UTC", changes=(FASTER,))


def fact(name: str, at: datetime, n: int) -> Fact:
    return Fact(event_id=f"e{n}", name=name, at=at, contact="c1", account_id="acct")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", timedelta(hours=1)),
        ("P5D", timedelta(days=5)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT90S", timedelta(seconds=90)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert duration(text) == expected


def test_settings_hold_from_their_effective_from() -> None:
    before = settings_at(PROFILE, CHANGE - timedelta(seconds=1))
    after = settings_at(PROFILE, CHANGE)
    assert before.delay("follow_up_2h") == timedelta(hours=2)
    assert after.delay("follow_up_2h") == timedelta(hours=1)
    assert before.enabled("follow_up_48h")
    assert not after.enabled("follow_up_48h")
    assert (before.invites_target, after.invites_target) == (20, 1)
    assert after.follow_ups_target == 30
    assert after.overdue_grace == timedelta(minutes=30)


def test_reminders_follow_the_settings_at_their_trigger() -> None:
    facts = [
        fact("DM_STARTED", T - timedelta(hours=1), 0),
        fact("NO_SHOW", T, 1),
        fact("NO_SHOW", CHANGE + timedelta(hours=1), 2),
        fact("VIDEO_SENT", CHANGE + timedelta(hours=2), 3),
    ]
    made = {
        (r.type, r.trigger_event_id): r.scheduled_for for r in expected_reminders(facts, PROFILE)
    }
    assert made[("follow_up_2h", "e1")] == T + timedelta(hours=2)
    assert made[("follow_up_2h", "e2")] == CHANGE + timedelta(hours=2)
    assert ("follow_up_24h", "e3") in made
    assert ("follow_up_48h", "e3") not in made


def test_a_switched_off_inactivity_reminder_is_canceled_by_the_next_activity() -> None:
    off = SettingsChange(CHANGE, {"reminders": {"follow_up_7d": {"enabled": False}}})
    profile = AccountProfile("acct", time_zone="UTC", changes=(off,))
    facts = [fact("DM_STARTED", T, 0), fact("MESSAGE_RECEIVED", CHANGE + timedelta(hours=1), 1)]
    (reminder,) = expected_reminders(facts, profile)
    assert (reminder.type, reminder.status) == ("follow_up_7d", "canceled")
    assert reminder.scheduled_for == T + timedelta(days=7)


def test_a_day_is_judged_by_the_targets_in_force_at_its_end_or_as_of() -> None:
    lowered = SettingsChange(
        T + timedelta(hours=9), {"dmo_targets": {"invites": 1, "follow_ups": 0}}
    )
    profile = AccountProfile("acct", time_zone="UTC", changes=(lowered,))
    facts = [fact("INVITE_SENT", T, 0)]
    before = dmo(facts, profile, T + timedelta(hours=8))
    after = dmo(facts, profile, T + timedelta(hours=10))
    assert (before["today"]["invites_target"], before["today"]["met"]) == (20, False)
    assert (after["today"]["invites_target"], after["today"]["met"]) == (1, True)
    # The week's target adds up its days: Monday's in force at as_of, the rest likewise.
    assert after["week"]["invites_target"] == 7


def test_targets_of_zero_give_a_streak_no_longer_than_the_accounts_days() -> None:
    profile = AccountProfile("zero", time_zone="UTC", invites_target=0, follow_ups_target=0)
    facts = [fact("DM_STARTED", T - timedelta(days=4), 0)]
    assert dmo(facts, profile, T)["streak_days"] == 5


def test_nothing_done_with_targets_is_no_streak() -> None:
    assert dmo([], AccountProfile("busy"), T)["streak_days"] == 0


def test_changes_survive_the_history_file() -> None:
    again = AccountProfile.from_json(json.loads(json.dumps(PROFILE.to_json())))
    assert again == PROFILE


def test_a_run_with_changing_accounts_sends_their_changes_in_time_order() -> None:
    anchor = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    history = generate(300, 7, anchor, settings_accounts=2)
    changing = [p for p in history.accounts if p.changes]
    assert [p.account_id for p in changing] == [f"bt-{run_tag(7, anchor)}-s{n}" for n in (0, 1)]
    sent = [d for d in history.deliveries if d.route == "settings"]
    assert len(sent) == sum(len(p.changes) for p in changing)
    assert not any(d.duplicate for d in sent)
    for profile in changing:
        mine = [d for d in sent if d.account_id == profile.account_id]
        times = [d.body["effective_from"] for d in mine]
        assert times == sorted(times)
        assert all(anchor - timedelta(days=21) < c.effective_from < anchor for c in profile.changes)
    # The run's other accounts get contacts too, and the changing ones do as well.
    assert {c.account_id for c in history.contacts} >= {p.account_id for p in changing}
    # Batches stay whole: a change never splits one.
    numbers = [d.batch for d in history.deliveries if d.batch is not None]
    assert len(set(numbers)) == sum(1 for _ in itertools.groupby(numbers))


def test_a_run_without_changing_accounts_is_the_history_it_was() -> None:
    anchor = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    history = generate(200, 3, anchor)
    assert not any(d.route == "settings" for d in history.deliveries)
    assert all(not p.changes for p in history.accounts)
