"""The chaos suite: a backtest whose replay is interrupted by each piece of the system in turn
being killed with SIGKILL and started again the way `make up` starts it.

The history is cut into one stretch per piece, and the piece is killed when the replay reaches
the middle of its stretch; the replay goes on while `crm-devstack system up` starts it again
and waits until every piece answers ready. The replay does not pass the next piece's mark until
that piece is back (the time it waits is reported), so every kill lands mid-replay and outages
never overlap.

The client retries 429/502/503/504 (as Retry-After says) for as long as an outage may last and
records every answer; a 5xx it does not retry (a 500) is a failure, however brief.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence

import httpx
from rich.console import Console

from crm_backtest.chaos_report import ChaosReport, PieceRun, answered
from crm_backtest.chaos_stack import Stack, StackError
from crm_backtest.client import Credentials, Gateway, monotonic
from crm_backtest.history import History
from crm_backtest.run import backtest_through

# Services first, then what they all stand on. Each name is a piece `crm-devstack kill` knows.
PIECES = ("customers", "rules", "nba", "stats", "ingest", "kafka", "postgres", "redis")
# A further replica of a service under `make up REPLICAS=...`: customers-2 ... customers-12
# (the first replica is the service's own name).
_REPLICA = re.compile(r"^(customers|rules|nba|stats|ingest)-([2-9]|1[0-2])$")
# `crm-devstack system up` runs per piece before it counts as not recovered; a run already waits
# up to two minutes for each piece to answer.
SYSTEM_UP_RUNS = 3
# How long the client keeps retrying one request through an outage.
PATIENCE_S = 300.0


def is_piece(name: str) -> bool:
    """A name `crm-devstack kill` takes: one of PIECES or a service's further replica."""
    return name in PIECES or _REPLICA.match(name) is not None


class Chaos:
    """Kills the pieces one by one as the replay reaches their marks (a run's Disturbance)."""

    def __init__(
        self, stack: Stack, pieces: Sequence[str], deliveries: int, console: Console
    ) -> None:
        self.stack = stack
        self.console = console
        self.runs = [PieceRun(piece) for piece in pieces]
        # The middle of each of len(pieces) equal stretches: traffic before the first kill and
        # after the last, and the most time between two kills for a piece to come back.
        self.marks = [int(deliveries * (i + 0.5) / len(pieces)) for i in range(len(pieces))]
        self._reached = [asyncio.Event() for _ in pieces]
        self._back = [asyncio.Event() for _ in pieces]
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._kill_each())

    async def stop(self) -> None:
        """Cancel what is left (when the backtest failed before the chaos was done)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def hold(self, released: int) -> None:
        for i, mark in enumerate(self.marks):
            if released >= mark and not self._reached[i].is_set():
                if i > 0 and not self._back[i - 1].is_set():
                    holding_since = monotonic()
                    await self._back[i - 1].wait()
                    self.runs[i - 1].held_s += monotonic() - holding_since
                self.runs[i].during_replay = True
                self._reached[i].set()

    async def settled(self) -> None:
        # A mark the replay's last send jumped over (a batch): killed now, and reported so.
        for reached in self._reached:
            reached.set()
        if self._task is not None:
            await self._task

    async def _kill_each(self) -> None:
        for i, run in enumerate(self.runs):
            await self._reached[i].wait()
            try:
                await self._kill_and_restart(run)
            finally:
                self._back[i].set()

    async def _kill_and_restart(self, run: PieceRun) -> None:
        run.kill_sent_at = monotonic()
        try:
            await self.stack.kill(run.piece)
        except StackError as error:
            run.error = f"not killed: {error}"
            return
        run.killed_at = monotonic()
        self.console.print(f"{run.piece} killed")
        for attempt in range(1, SYSTEM_UP_RUNS + 1):
            run.system_up_runs = attempt
            try:
                await self.stack.system_up()
            except StackError as error:
                run.error = f"not ready after `system up` run {attempt}: {error}"
                self.console.print(f"[red]{run.error}[/red]")
                continue
            run.ready_at = monotonic()
            run.error = None
            self.console.print(f"{run.piece} back: ready {run.ready_at - run.killed_at:.1f} s")
            return


async def run_chaos(
    history: History,
    api: str,
    credentials: Credentials,
    stack: Stack,
    rate: float,
    catch_up_s: float,
    console: Console,
    pieces: Sequence[str] = PIECES,
    patience_s: float = PATIENCE_S,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ChaosReport:
    """Bring the system up (as `make up`), replay with every piece killed in turn, check every
    figure against the oracle, count dead letters, and leave the whole system running."""
    began = monotonic()
    await stack.system_up()
    errors: list[str] = []
    before = await _dead_letters(stack, errors)
    chaos = Chaos(stack, pieces, len(history.deliveries), console)
    async with Gateway(api, credentials, transport=transport, patience_s=patience_s) as gateway:
        chaos.start()
        try:
            backtest = await backtest_through(
                gateway, history, rate, catch_up_s, console, disturbance=chaos
            )
        except Exception:
            await chaos.stop()
            with contextlib.suppress(StackError):
                await stack.system_up()  # no piece is left dead behind a failed run
            raise
        attempts = gateway.attempts
    kills = [run.kill_sent_at for run in chaos.runs]
    for i, run in enumerate(chaos.runs):
        run.observe(attempts, next((k for k in kills[i + 1 :] if k is not None), None))
    try:
        await stack.system_up()  # whatever happened, every piece runs again afterwards
    except StackError as error:
        errors.append(f"the system did not come back at the end: {error}")
    return ChaosReport(
        backtest=backtest,
        pieces=chaos.runs,
        began=began,
        answers=answered(attempts),
        dead_letters_before=before,
        dead_letters_after=await _dead_letters(stack, errors),
        healthy_after=await stack.healthy(),
        errors=errors,
    )


async def _dead_letters(stack: Stack, errors: list[str]) -> int | None:
    try:
        return await stack.dead_letters()
    except StackError as error:
        errors.append(f"the dead-letter topic could not be read: {error}")
        return None
