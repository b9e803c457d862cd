"""Replayer, checker and report against a fake system: zero mismatches when it is faithful,
retries through 429s, and a deliberate fault reported with its customers and event ids."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from crm_backtest.cli import app
from crm_backtest.clock import iso
from crm_backtest.expectations import expect
from crm_backtest.generator import generate
from crm_backtest.history import History
from crm_backtest.report import Report
from crm_backtest.run import run_backtest

from .fake_system import CREDENTIALS, FakeSystem

ANCHOR = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> History:
    return generate(150, seed=3, anchor=ANCHOR)


async def backtest(
    history: History, fake: FakeSystem, catch_up_s: float = 5.0, now: datetime | None = None
) -> Report:
    console = Console(file=io.StringIO(), width=160)
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    return await run_backtest(
        history, "http://gateway.test/api", CREDENTIALS, rate=20_000, catch_up_s=catch_up_s,
        console=console, transport=fake.transport(), now=clock,
    )  # fmt: skip


async def test_a_faithful_system_gives_zero_mismatches(history: History, tmp_path: Path) -> None:
    fake = FakeSystem(history.accounts)
    report = await backtest(history, fake)
    report.write(tmp_path / "report.json")
    assert '"ok": true' in (tmp_path / "report.json").read_text()
    assert report.mismatches == 0, [c.mismatches[:2] for c in report.checks if c.mismatches]
    assert report.ok
    by_name = {check.name: check for check in report.checks}
    assert by_name["ingest answers"].checked == len(history.deliveries)
    assert by_name["reminders"].checked == len(history.contacts)
    assert by_name["figures"].checked > 100
    assert report.latency["accepted → reminder readable"]["samples"] > 10
    assert report.latency["accepted → KPI updated"]["samples"] == 3
    # The accounts' lists settle the checks; one customer's reads are the latency probe's (50
    # contacts watched, one read each here) and the NBAs who-next does not list.
    unlisted = sum(c.nba["priority"] == 0 for c in expect(history).contacts.values())
    assert fake.card_reads <= 50 + unlisted < len(history.contacts)


async def test_lists_still_catching_up_are_read_again(history: History) -> None:
    fake = FakeSystem(history.accounts)
    fake.empty_lists = 12  # a few rounds of the three accounts' two lists
    report = await backtest(history, fake)
    assert report.mismatches == 0, [c.mismatches[:2] for c in report.checks if c.mismatches]
    assert fake.empty_lists == 0
    unlisted = sum(c.nba["priority"] == 0 for c in expect(history).contacts.values())
    assert fake.card_reads <= 50 + unlisted < len(history.contacts)
    assert all(check.checked == len(history.contacts) for check in report.checks[2:5])


async def test_retries_through_rate_limits(history: History) -> None:
    fake = FakeSystem(history.accounts)
    fake.throttle_every = 5
    report = await backtest(history, fake)
    assert report.retries > 50
    assert report.ok


async def test_a_missing_reminder_is_reported_with_customer_and_event_ids(
    history: History,
) -> None:
    fake = FakeSystem(history.accounts)
    fake.hide_reminder_type = "follow_up_2h"
    report = await backtest(history, fake, catch_up_s=0.3)
    expected = expect(history)
    with_2h = {
        key for key, c in expected.contacts.items()
        if any(kind == "follow_up_2h" for kind, _, _ in c.reminders)
    }  # fmt: skip
    reminders = next(check for check in report.checks if check.name == "reminders")
    assert with_2h
    assert {m.contact for m in reminders.mismatches} == with_2h
    assert all(m.event_ids for m in reminders.mismatches)
    assert not report.ok


def test_the_cli_generates_a_history_file(tmp_path: Path) -> None:
    out = tmp_path / "history.json"
    arguments = ["generate", "--contacts", "40", "--seed", "5", "--out", str(out)]
    result = CliRunner().invoke(app, [*arguments, "--state-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(History.load(out).contacts) == 40


def test_the_cli_reads_the_state_folder_named_by_crm_state_dir(tmp_path: Path) -> None:
    """`CRM_STATE_DIR=... make up` and then `make backtest`: the same folder, no flag."""
    profile = {"account_id": "elsewhere", "time_zone": "Asia/Tokyo"}
    (tmp_path / "accounts.json").write_text(json.dumps({"accounts": [profile]}))
    out = tmp_path / "history.json"
    arguments = ["generate", "--contacts", "10", "--accounts", "elsewhere", "--out", str(out)]
    result = CliRunner().invoke(app, arguments, env={"CRM_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert {c.account_id for c in History.load(out).contacts} == {"elsewhere"}


def _earlier_customers(fake: FakeSystem, account: str) -> list[dict[str, str]]:
    """Three customers of an earlier run whose next actions are overdue at the anchor."""
    late = iso(ANCHOR - timedelta(hours=3))
    fake.others[account] = [
        {"id": f"earlier-{i}", "status": "qualified", "next_action_date": late} for i in range(3)
    ]
    return fake.others[account]


async def test_next_actions_of_earlier_customers_moving_during_the_run_are_no_mismatch(
    history: History,
) -> None:
    """On a long-used system NBA timers move earlier runs' next actions on the wall clock;
    the checker recounts those customers instead of trusting the baseline read before."""
    fake = FakeSystem(history.accounts)
    fake.as_of = ANCHOR
    account = history.accounts[0].account_id
    earlier = _earlier_customers(fake, account)

    def timer_fires() -> None:
        earlier[0]["next_action_date"] = iso(ANCHOR + timedelta(hours=5))

    fake.at_first_event = timer_fires
    report = await backtest(history, fake)
    assert fake.at_first_event is None  # it fired between the baseline and the check
    assert report.mismatches == 0, [c.mismatches[:2] for c in report.checks if c.mismatches]
    figures = next(check for check in report.checks if check.name == "figures")
    assert figures.skipped > 0  # that account's ratios: it held data before


async def test_a_wrong_next_actions_overdue_is_still_reported(history: History) -> None:
    fake = FakeSystem(history.accounts)
    fake.as_of = ANCHOR
    account = history.accounts[0].account_id
    _earlier_customers(fake, account)
    fake.overcount_next_actions = 1
    report = await backtest(history, fake, catch_up_s=0.3)
    figures = next(check for check in report.checks if check.name == "figures")
    subjects = {m.subject for m in figures.mismatches}
    assert subjects
    assert all(s.endswith("/counts.next_actions_overdue") for s in subjects)
    assert not report.ok


async def test_a_customer_whose_next_action_is_shown_late_is_named(history: History) -> None:
    expected = expect(history)
    account = history.accounts[0].account_id
    contact = next(
        key for key, c in expected.contacts.items()
        if c.account_id == account and c.nba["action"] == "none"
    )  # fmt: skip
    fake = FakeSystem(history.accounts)
    fake.as_of = ANCHOR
    _earlier_customers(fake, account)
    fake.late_mirror_events = set(expected.contacts[contact].event_ids)
    report = await backtest(history, fake, catch_up_s=0.3)
    figures = next(check for check in report.checks if check.name == "figures")
    named = [m for m in figures.mismatches if m.contact is not None]
    assert [m.contact for m in named] == [contact]
    assert named[0].expected["counted"] is False
    assert named[0].event_ids == expected.contacts[contact].event_ids


def first_drift(history: History) -> datetime:
    """The first whole hour after the anchor at which this history's NBA timers have moved
    next_actions_overdue for some account."""
    expected = expect(history)
    for hours in range(1, 24 * 30):
        at = ANCHOR + timedelta(hours=hours)
        for profile in history.accounts:
            account = profile.account_id
            if expected.next_actions_overdue(account, at) != expected.next_actions_overdue(
                account, ANCHOR
            ):
                return at
    raise AssertionError("no NBA transition in 30 days")


async def test_next_actions_of_this_run_moving_during_the_checks_are_no_mismatch(
    history: History,
) -> None:
    """A long run outlives some of its own customers' NBA transitions: the figure read then
    is the one their NBA gives at that moment, not at as_of."""
    later = first_drift(history)
    fake = FakeSystem(history.accounts)
    fake.nba_at = later
    report = await backtest(history, fake, now=later)
    assert report.mismatches == 0, [c.mismatches[:2] for c in report.checks if c.mismatches]


async def test_a_figure_moved_beyond_the_reading_s_window_is_still_reported(
    history: History,
) -> None:
    fake = FakeSystem(history.accounts)
    fake.nba_at = first_drift(history)  # the system shows a moment the checker never reaches
    report = await backtest(history, fake, catch_up_s=0.3, now=ANCHOR)
    figures = next(check for check in report.checks if check.name == "figures")
    subjects = {m.subject for m in figures.mismatches}
    assert subjects
    assert all("counts.next_actions_overdue" in s for s in subjects)
