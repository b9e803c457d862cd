"""`crm-backtest bench` (`make bench`): every benchmark and backtests at 1k and 10k contacts,
collected into one table with the machine they ran on."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from crm_backtest.bench_rows import build_rows
from crm_backtest.bench_runs import (
    PARTS,
    SYSTEM_PARTS,
    Plan,
    Step,
    run_step,
    servers_env,
    steps,
    system_up,
)
from crm_backtest.bench_table import BenchTable
from crm_backtest.machine import describe

# Wide enough for the table when the output goes to a file or a CI log (rich assumes 80).
console = Console() if sys.stdout.isatty() else Console(width=160)


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n.replace("_", "")) for n in text.split(",") if n.strip())


def _parts(only: str, skip_backtest: bool) -> tuple[str, ...]:
    wanted = [p.strip() for p in only.split(",") if p.strip()]
    unknown = sorted(set(wanted) - set(PARTS))
    if unknown:
        raise typer.BadParameter(
            f"unknown {unknown}; known: {','.join(PARTS)}", param_hint="--only"
        )
    if skip_backtest:
        wanted = [p for p in wanted if p not in SYSTEM_PARTS]
    return tuple(p for p in PARTS if p in wanted)


def _collect(step: Step, env: dict[str, str]) -> dict[str, Any] | str:
    """The step's figures, or why there are none."""
    console.rule(f"[bold]{step.name}[/bold]: {step.shown()}")
    code = run_step(step, env)
    if code is None:
        return f"timed out after {step.timeout_s:.0f} s"
    if not step.output.exists():
        return f"exit code {code}, no figures written"
    figures: dict[str, Any] = json.loads(step.output.read_text())
    return figures


def _say(message: str) -> None:
    console.print(f"[dim]{message}[/dim]")


def bench_command(
    only: Annotated[str, typer.Option(help=f"Comma-separated parts of {','.join(PARTS)}")] = (
        ",".join(PARTS)
    ),
    skip_backtest: Annotated[
        bool, typer.Option(help="Only the service benchmarks (no system needed)")
    ] = False,
    contacts: Annotated[str, typer.Option(help="Backtest sizes, comma-separated")] = "1000,10000",
    rate: Annotated[
        float, typer.Option(help="Events/s asked of the sized backtests (high: as fast as it goes)")
    ] = 100_000,
    latency_rate: Annotated[float, typer.Option(help="The controlled rate, events/s")] = 500,
    latency_contacts: Annotated[int, typer.Option(help="Contacts at the controlled rate")] = 1000,
    steady_rate: Annotated[
        float, typer.Option(help="A rate the machine keeps up with, events/s (latency unqueued)")
    ] = 50,
    steady_contacts: Annotated[int, typer.Option(help="Contacts at the steady rate")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the first backtest (+1 for each next)")] = 7,
    catch_up: Annotated[float, typer.Option(help="Seconds a backtest waits for checks")] = 300,
    backtest_timeout: Annotated[
        float, typer.Option(help="Seconds before a backtest is stopped")
    ] = (1800),
    consumer_events: Annotated[int, typer.Option(help="bench-consumer --events")] = 50_000,
    ingest_seconds: Annotated[float, typer.Option(help="bench-ingest --seconds")] = 10,
    rules_customers: Annotated[int, typer.Option(help="bench-rules --customers")] = 2_000,
    nba_customers: Annotated[int, typer.Option(help="bench-nba --customers")] = 10_000,
    stats_events: Annotated[int, typer.Option(help="bench-stats --events")] = 1_000_000,
    cpu_contacts: Annotated[
        int, typer.Option(help="Contacts of the backtest measured for system CPU per delivery")
    ] = 1_000,
    out: Annotated[Path, typer.Option(help="latest.json, latest.md and raw/ go here")] = Path(
        ".local/bench"
    ),
    state_dir: Annotated[
        Path, typer.Option(envvar="CRM_STATE_DIR", help="The devstack's state folder")
    ] = Path(".local"),
    kundekort: Annotated[
        bool, typer.Option(help="Backtests with the card stories and the card checked")
    ] = False,
) -> None:
    """Run the benchmarks and backtests, print one table, write it as JSON and Markdown."""
    plan = Plan(
        parts=_parts(only, skip_backtest),
        contacts=_numbers(contacts),
        rate=rate,
        latency_rate=latency_rate,
        latency_contacts=latency_contacts,
        steady_rate=steady_rate,
        steady_contacts=steady_contacts,
        seed=seed,
        catch_up_s=catch_up,
        backtest_timeout_s=backtest_timeout,
        consumer_events=consumer_events,
        ingest_seconds=ingest_seconds,
        rules_customers=rules_customers,
        nba_customers=nba_customers,
        stats_events=stats_events,
        cpu_contacts=cpu_contacts,
        state_dir=state_dir,
        kundekort=kundekort,
    )
    machine = describe(Path.cwd())
    (out / "raw").mkdir(parents=True, exist_ok=True)
    planned = steps(plan, out / "raw")
    results: dict[str, dict[str, Any] | str] = {}
    env = servers_env()
    for step in (s for s in planned if not s.needs_system):
        results[step.name] = _collect(step, env)
    through_system = [s for s in planned if s.needs_system]
    if through_system:
        try:
            with system_up(_say):
                for step in through_system:
                    results[step.name] = _collect(step, env)
        except RuntimeError as error:
            for step in through_system:
                results.setdefault(step.name, str(error).splitlines()[0])
    machine.load_at_end = os.getloadavg()
    table = BenchTable(machine, build_rows(results), [step.shown() for step in planned])
    table.print(console)
    as_json, as_markdown = table.write(out)
    console.print(f"table → {as_markdown} and {as_json}; each step's figures in {out / 'raw'}")
    if any(isinstance(result, str) for result in results.values()):
        raise typer.Exit(1)
