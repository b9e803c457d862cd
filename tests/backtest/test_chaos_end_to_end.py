"""The chaos suite through the whole system: a backtest while customers, rules, nba, stats,
ingest, Kafka, PostgreSQL and Redis are each killed (SIGKILL) mid-replay and restarted as
`make up` does. Zero mismatches, no 500 answered, nothing dead-lettered, every piece back.

It kills the servers every other test uses, so the conftest runs it after all of them; it
leaves every piece running and answering. The per-piece table is printed (`pytest -rP`).
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from crm_backtest.accounts import BACKTEST_ACCOUNT_IDS, load_profiles
from crm_backtest.chaos import PIECES, run_chaos
from crm_backtest.chaos_stack import LocalStack
from crm_backtest.generator import generate

from .conftest import System

SERVICES = ("ingest", "customers", "rules", "nba", "stats")
MISSING = [s for s in SERVICES if not (Path(sys.executable).parent / f"crm-{s}").exists()]
# About 480 deliveries at 3 a second: stretches of ~20 s, about what a kill and a restart
# take on two busy cores, and the whole run short enough for CI (about four minutes).
CONTACTS = 110
RATE = 3.0

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.chaos,
    pytest.mark.skipif(bool(MISSING), reason=f"services not installed: {MISSING}"),
    pytest.mark.timeout(900),
]


async def test_each_piece_killed_mid_replay_recovers_with_zero_mismatches_and_no_500(
    system: System, tmp_path: Path
) -> None:
    profiles = load_profiles(system.state_dir / "accounts.json", list(BACKTEST_ACCOUNT_IDS))
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    history = generate(CONTACTS, seed=23, anchor=anchor, accounts=profiles)
    output = io.StringIO()
    console = Console(file=output, width=200)
    report = await run_chaos(
        history, system.api, system.credentials, LocalStack(system.state_dir),
        rate=RATE, catch_up_s=120, console=console,
    )  # fmt: skip
    report.write(tmp_path / "chaos.json")
    report.print(console)
    shown = output.getvalue()
    print(shown)
    assert [run.piece for run in report.pieces] == list(PIECES)
    assert all(run.during_replay for run in report.pieces), shown
    assert all(run.error is None and run.ready_at is not None for run in report.pieces), shown
    assert report.healthy_after, shown
    assert report.new_dead_letters == 0, shown
    assert report.failures == 0, shown
    assert report.backtest.mismatches == 0, shown
    assert report.ok, shown
