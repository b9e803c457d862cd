"""One backtest: predict, read the baseline, replay, wait for the system, compare, report."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from crm_backtest.bulk_reads import CARD
from crm_backtest.checker import check_customers, check_ingest
from crm_backtest.client import Credentials, Gateway, monotonic
from crm_backtest.expectations import expect
from crm_backtest.history import History
from crm_backtest.probes import ReminderProbe
from crm_backtest.replayer import Replay, replay
from crm_backtest.report import CheckResult, Report, latency_summary
from crm_backtest.run_accounts import run_accounts
from crm_backtest.stats_checker import check_stats, read_baselines, wall_clock

CHECKS = (
    "ingest answers",
    "one customer per contact",
    "pipeline state",
    "reminders",
    "next best action",
    "figures",
)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _kpi_latencies(result: Replay, matched_at: dict[str, float]) -> list[float]:
    """Per account: from the last accepted event to the moment its figures were all right."""
    last: dict[str, float] = {}
    for outcome in result.outcomes:
        if outcome.accepted_at is not None:
            account = outcome.delivery.account_id
            last[account] = max(last.get(account, 0.0), outcome.accepted_at)
    return [when - last[account] for account, when in matched_at.items() if account in last]


class Disturbance(Protocol):
    """What the chaos suite does to the system while a backtest runs."""

    async def hold(self, released: int) -> None:
        """Awaited before each send is released; `released`: the deliveries sent so far."""

    async def settled(self) -> None:
        """Awaited after the replay: returns once the system is whole again."""


async def run_backtest(
    history: History,
    api: str,
    credentials: Credentials,
    rate: float,
    catch_up_s: float,
    console: Console,
    transport: httpx.AsyncBaseTransport | None = None,
    fast_client: bool = True,
    now: Callable[[], datetime] = wall_clock,
    accounts_file: Path | None = None,
) -> Report:
    """`now`: the wall clock, against which the NBA's timers move next actions (stats_checker).
    `accounts_file`: the system's, where a history's own accounts (those that change their
    settings) are added for the run."""
    gateway = Gateway(api, credentials, transport=transport, fast_client=fast_client)
    async with gateway, run_accounts(gateway, accounts_file, history.accounts):
        return await backtest_through(gateway, history, rate, catch_up_s, console, now=now)


async def backtest_through(
    gateway: Gateway,
    history: History,
    rate: float,
    catch_up_s: float,
    console: Console,
    now: Callable[[], datetime] = wall_clock,
    disturbance: Disturbance | None = None,
) -> Report:
    """The backtest through a gateway client the caller opened (and closes)."""
    expectations = expect(history)
    report = Report(
        api=gateway.api,
        seed=history.seed,
        contacts=len(history.contacts),
        facts=len(history.facts),
        deliveries=len(history.deliveries),
        duplicates=sum(d.duplicate for d in history.deliveries),
        rate=rate,
    )
    # The card's contact data, consent and last activity: with the card stories only.
    checks = (*CHECKS, CARD) if history.kundekort else CHECKS
    results = {name: CheckResult(name) for name in checks}
    baselines = await read_baselines(gateway, expectations)
    probe = ReminderProbe(gateway, history, expectations, watch_for_s=catch_up_s)
    with _progress(console) as progress:
        bar = progress.add_task(f"replay at {rate:.0f} ev/s", total=len(history.deliveries))
        replayed = await replay(
            gateway,
            history.deliveries,
            rate,
            advance=lambda n: progress.advance(bar, n),
            on_outcome=probe.on_outcome,
            hold=None if disturbance is None else disturbance.hold,
        )
    if disturbance is not None:
        await disturbance.settled()
    report.replay_seconds = replayed.seconds
    report.retries = replayed.retries
    if made := replayed.request_times():
        # A person's creations count from when the system made them.
        expectations = expect(history.at_request_times(made))
    check_ingest(replayed, results)
    started = monotonic()
    deadline = started + catch_up_s
    customer_ids = replayed.customer_ids()
    with _progress(console) as progress:
        bar = progress.add_task("checks (customers)", total=len(expectations.contacts))
        matched_at, _ = await asyncio.gather(
            check_stats(
                gateway,
                expectations,
                baselines,
                results["figures"],
                deadline,
                customer_ids,
                now=now,
            ),
            check_customers(
                gateway,
                expectations,
                customer_ids,
                results,
                deadline,
                advance=lambda n: progress.advance(bar, n),
            ),
        )
    await probe.finish()
    report.check_seconds = monotonic() - started
    report.checks = [results[name] for name in checks]
    answers = [o.answer_s for o in replayed.outcomes if o.answer_s is not None]
    report.latency = {
        "sent → ingest answered": latency_summary(answers),
        "accepted → reminder readable": latency_summary(probe.latencies),
        "accepted → KPI updated": latency_summary(_kpi_latencies(replayed, matched_at)),
    }
    if probe.missed:
        report.notes.append(f"{probe.missed} watched contacts never showed their reminders")
    if results["figures"].skipped:
        report.notes.append(
            f"{results['figures'].skipped} ratios/medians skipped: the accounts already held "
            "other data in the period (additive figures were checked on top of it)"
        )
    return report
