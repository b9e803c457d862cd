"""The chaos suite's machinery against the fake system: each piece killed in turn mid-replay,
never two at once, the client retrying through the outage and recording every answer, a 500
counted against the piece that was down, and `make chaos` wired like the other targets."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from crm_backtest.chaos import PIECES, is_piece, run_chaos
from crm_backtest.chaos_report import ChaosReport
from crm_backtest.cli import app
from crm_backtest.client import MAX_ATTEMPTS, Gateway, earlier_tries
from crm_backtest.generator import generate
from crm_backtest.history import History

from .fake_system import CREDENTIALS, FakeSystem

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
API = "http://gateway.test/api"


class FakeStack:
    """Kills and restarts pieces of the fake system: a killed piece makes it answer as the
    gateway does in front of a dead service until `system_up`, which returns only once the
    outage was seen by the sender (so every outage is observed)."""

    def __init__(self, fake: FakeSystem, during: Callable[[str], None] | None = None) -> None:
        self.fake = fake
        self.during = during
        self.steps: list[tuple[str, str]] = []
        self.letters = 4  # letters of earlier runs, kept forever

    async def kill(self, piece: str) -> None:
        self.steps.append(("kill", piece))
        self.fake.refused.clear()
        self.fake.down_with = 502
        if self.during is not None:
            self.during(piece)

    async def system_up(self) -> None:
        if self.fake.down_with is not None:
            await self.fake.refused.wait()
        self.fake.down_with = None
        self.steps.append(("up", ""))

    async def healthy(self) -> bool:
        return self.fake.down_with is None

    async def dead_letters(self) -> int:
        return self.letters


@pytest.fixture(scope="module")
def history() -> History:
    return generate(60, seed=5, anchor=ANCHOR)


async def chaos(history: History, fake: FakeSystem, stack: FakeStack) -> ChaosReport:
    return await run_chaos(
        history, API, CREDENTIALS, stack, rate=20_000, catch_up_s=5.0,
        console=Console(file=io.StringIO(), width=160), patience_s=30.0,
        transport=fake.transport(),
    )  # fmt: skip


async def test_each_piece_is_killed_mid_replay_in_turn_and_the_run_is_ok(
    history: History, tmp_path: Path
) -> None:
    fake = FakeSystem(history.accounts)
    stack = FakeStack(fake)
    report = await chaos(history, fake, stack)
    assert report.backtest.mismatches == 0
    kills = [piece for step, piece in stack.steps if step == "kill"]
    assert kills == list(PIECES)
    # Up before everything, up after each kill before the next one, up at the end.
    assert [step for step, _ in stack.steps] == ["up"] + ["kill", "up"] * len(PIECES) + ["up"]
    for run in report.pieces:
        assert run.during_replay, run.piece
        assert run.killed_at is not None
        assert run.ready_at is not None
        assert run.ready_at >= run.killed_at
        assert run.accepting_at is not None
        assert run.accepting_at >= run.killed_at
        assert run.answers.get("502", 0) > 0, run.piece
    assert report.failures == 0
    assert report.new_dead_letters == 0
    assert report.ok
    report.write(tmp_path / "chaos.json")
    written = json.loads((tmp_path / "chaos.json").read_text())
    assert written["ok"] is True
    assert [row["piece"] for row in written["pieces"]] == list(PIECES)
    assert all(row["ready_s"] >= 0 for row in written["pieces"])


async def test_a_500_fails_the_run_and_is_counted_against_the_piece_that_was_down(
    history: History,
) -> None:
    fake = FakeSystem(history.accounts)

    def during(piece: str) -> None:
        if piece == "postgres":
            fake.down_with = 500

    stack = FakeStack(fake, during)
    report = await chaos(history, fake, stack)
    by_piece = {run.piece: run for run in report.pieces}
    assert by_piece["postgres"].failures > 0
    assert all(run.failures == 0 for run in report.pieces if run.piece != "postgres")
    assert report.failures == by_piece["postgres"].failures
    assert not report.ok
    output = io.StringIO()
    report.print(Console(file=output, width=200))
    assert "chaos: not ok" in output.getvalue()


async def test_a_dead_letter_fails_the_run(history: History) -> None:
    fake = FakeSystem(history.accounts)
    stack = FakeStack(fake)

    def one_more_letter(piece: str) -> None:
        if piece == "redis":
            stack.letters += 1

    stack.during = one_more_letter
    report = await chaos(history, fake, stack)
    assert report.new_dead_letters == 1
    assert not report.ok


async def test_an_answer_lost_after_the_work_was_done_is_no_mismatch(history: History) -> None:
    fake = FakeSystem(history.accounts)
    fake.lose_answers = 25  # ingest took these, then "died" before answering: 502
    stack = FakeStack(fake)
    report = await chaos(history, fake, stack)
    assert fake.lose_answers == 0
    assert report.backtest.mismatches == 0
    assert report.ok


def _outage_of(answers: int, status: int) -> httpx.MockTransport:
    """Answers `status` (with Retry-After: 0) that many times, then 202."""
    seen = 0

    def handle(_: httpx.Request) -> httpx.Response:
        nonlocal seen
        seen += 1
        if seen <= answers:
            return httpx.Response(status, headers={"retry-after": "0"})
        return httpx.Response(202, json={"status": "accepted"})

    return httpx.MockTransport(handle)


async def test_the_client_retries_through_an_outage_for_its_patience() -> None:
    outage = MAX_ATTEMPTS * 2
    async with Gateway(API, CREDENTIALS, transport=_outage_of(outage, 503), patience_s=60) as g:
        response = await g.request("POST", "/events", "demo", json={})
    assert response.status_code == 202
    assert earlier_tries(response) == (503,) * outage
    assert [a.status for a in g.attempts] == [503] * outage + [202]
    assert all(a.path == "/events" and a.method == "POST" for a in g.attempts)


async def test_without_patience_the_client_gives_up_after_its_attempts() -> None:
    async with Gateway(API, CREDENTIALS, transport=_outage_of(100, 503)) as gateway:
        response = await gateway.request("POST", "/events", "demo", json={})
    assert response.status_code == 503
    assert len(gateway.attempts) == MAX_ATTEMPTS


async def test_the_client_never_retries_a_500_and_records_it() -> None:
    async with Gateway(API, CREDENTIALS, transport=_outage_of(1, 500), patience_s=60) as g:
        response = await g.request("GET", "/customers", "demo")
    assert response.status_code == 500
    assert [a.status for a in g.attempts] == [500]


def _make(*arguments: str) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        [make, "--no-print-directory", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_chaos_installs_first_then_runs_the_chaos_suite_and_is_in_the_help() -> None:
    commands = _make("-n", "chaos")
    assert commands.index("crm-devstack install") < commands.index("crm-backtest chaos")
    assert "--report chaos.json" in commands
    assert "make chaos" in _make("help")


def test_a_further_replica_is_a_piece_to_kill_and_a_wrong_name_is_refused(tmp_path: Path) -> None:
    assert all(is_piece(name) for name in (*PIECES, "customers-2", "ingest-12", "stats-9"))
    for name in ("customers-1", "customers-13", "kafka-2", "gateway", "customers2", "nba-02"):
        assert not is_piece(name), name
    result = CliRunner().invoke(
        app,
        ["chaos", "--pieces", "customers-2,kafka-2", "--state-dir", str(tmp_path)],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 2, result.output
    assert "unknown ['kafka-2']" in result.output
