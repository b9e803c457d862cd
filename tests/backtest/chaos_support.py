"""A chaos run through the whole system and what every such run must show: each piece killed
during the replay and back, no 500, nothing dead-lettered, zero mismatches."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from crm_backtest.chaos import PIECES, run_chaos
from crm_backtest.chaos_report import ChaosReport
from crm_backtest.chaos_stack import LocalStack
from crm_backtest.history import History

from .conftest import System


async def clean_chaos_run(
    system: System,
    history: History,
    report_file: Path,
    *,
    rate: float,
    catch_up_s: float,
    pieces: Sequence[str] = PIECES,
) -> ChaosReport:
    """Replay `history` while each of `pieces` is killed and restarted, and check the report
    (its table is printed, for `pytest -rP`); the report is written to `report_file`."""
    output = io.StringIO()
    console = Console(file=output, width=200)
    report = await run_chaos(
        history, system.api, system.credentials, LocalStack(system.state_dir),
        rate=rate, catch_up_s=catch_up_s, console=console, pieces=pieces,
    )  # fmt: skip
    report.write(report_file)
    report.print(console)
    shown = output.getvalue()
    print(shown)
    assert [run.piece for run in report.pieces] == list(pieces)
    assert all(run.during_replay for run in report.pieces), shown
    assert all(run.error is None and run.ready_at is not None for run in report.pieces), shown
    assert report.healthy_after, shown
    assert report.new_dead_letters == 0, shown
    assert report.failures == 0, shown
    assert report.backtest.mismatches == 0, shown
    assert report.ok, shown
    return report
