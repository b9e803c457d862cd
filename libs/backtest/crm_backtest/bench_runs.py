"""What `make bench` runs: each benchmark and backtest as a process of its own that writes
its figures as JSON, and the whole system brought up for the backtests when it was down (and
taken down again after, so the machine is left as it was found)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

PARTS = (
    "consumer", "floor", "ingest", "rules", "nba", "stats", "cpu", "latency", "steady", "backtest",
)  # fmt: skip
SYSTEM_PARTS = frozenset({"cpu", "latency", "steady", "backtest"})
# The system-wide CPU step's own backtest, apart from the seeds of the backtests after it.
CPU_SEED_OFFSET = 100
STOP_GRACE_S = 15.0


@dataclass(frozen=True)
class Plan:
    parts: tuple[str, ...] = PARTS
    contacts: tuple[int, ...] = (1_000, 10_000)
    rate: float = 100_000.0  # the backtests by size: as fast as the system takes them
    latency_rate: float = 500.0
    latency_contacts: int = 1_000
    # The same figures at a rate this machine keeps up with, where they are not queueing.
    steady_rate: float = 50.0
    steady_contacts: int = 300
    seed: int = 7
    catch_up_s: float = 300.0
    backtest_timeout_s: float = 1_800.0
    consumer_events: int = 50_000
    ingest_seconds: float = 10.0
    rules_customers: int = 2_000
    nba_customers: int = 10_000
    stats_events: int = 1_000_000
    cpu_contacts: int = 1_000  # the backtest measured for system CPU per delivery
    state_dir: Path = Path(".local")
    kundekort: bool = False  # the backtests with the card stories (crm_backtest.card_stories)


@dataclass(frozen=True)
class Step:
    name: str  # its kind, and for backtests the contacts: `backtest 10000`
    command: list[str]
    output: Path
    timeout_s: float | None = None

    @property
    def needs_system(self) -> bool:
        return self.name.split(" ", 1)[0] in SYSTEM_PARTS

    def shown(self) -> str:
        """The command as a person would type it in the repository."""
        words = ["uv run python" if word == sys.executable else word for word in self.command]
        return " ".join(words)


def _module(name: str, *args: object) -> list[str]:
    return [sys.executable, "-m", name, *(str(a) for a in args)]


def steps(plan: Plan, raw: Path) -> list[Step]:
    """The service benchmarks first (on a machine without the system's own load), then the
    backtests through the running system: the controlled-rate ones first, on a quiet system."""
    wanted = set(plan.parts)
    found: list[Step] = []

    def add(name: str, command: list[str], timeout_s: float | None = None) -> None:
        output = raw / f"{name.replace(' ', '-')}.json"
        found.append(Step(name, [*command, "--json", str(output)], output, timeout_s))

    if "consumer" in wanted:
        add("consumer", _module("bench.consumer_throughput", "--events", plan.consumer_events))
    if "floor" in wanted:  # what one of our HTTP processes answers here when it does nothing
        add("floor", _module("bench.http_floor", "--seconds", plan.ingest_seconds))
    if "ingest" in wanted:
        add("ingest", _module("bench.ingest", "--seconds", plan.ingest_seconds))
    if "rules" in wanted:
        add("rules", _module("bench.rules", "--customers", plan.rules_customers))
    if "nba" in wanted:
        add("nba", _module("bench.nba", "--customers", plan.nba_customers))
    if "stats" in wanted:
        add("stats", _module("bench.stats", "--events", plan.stats_events))
    if "cpu" in wanted:  # first through the system, while it holds the least
        add("cpu", _module(
            "bench.system_cpu", "--seconds", plan.ingest_seconds, "--backtest-contacts",
            plan.cpu_contacts, "--backtest-seed", plan.seed + CPU_SEED_OFFSET,
            "--state-dir", plan.state_dir,
        ), plan.backtest_timeout_s)  # fmt: skip
    runs: list[tuple[str, int, float]] = []
    if "latency" in wanted:
        runs.append((f"latency {plan.latency_contacts}", plan.latency_contacts, plan.latency_rate))
    if "steady" in wanted:
        runs.append((f"steady {plan.steady_contacts}", plan.steady_contacts, plan.steady_rate))
    if "backtest" in wanted:
        runs += [(f"backtest {n}", n, plan.rate) for n in plan.contacts]
    for offset, (name, contacts, rate) in enumerate(runs):
        # A seed of its own per run, so two runs in one minute never share contacts.
        command = _module(
            "crm_backtest.cli", "run", "--contacts", contacts, "--seed", plan.seed + offset,
            "--rate", f"{rate:g}", "--catch-up", f"{plan.catch_up_s:g}",
            "--state-dir", plan.state_dir, *(["--kundekort"] if plan.kundekort else []),
        )  # fmt: skip
        output = raw / f"{name.replace(' ', '-')}.json"
        found.append(
            Step(name, [*command, "--report", str(output)], output, plan.backtest_timeout_s)
        )
    return found


def servers_env() -> dict[str, str]:
    """The environment for the steps: the local servers (Kafka, PostgreSQL, Redis: started if
    they are not running, and left running) and their addresses as the benchmarks read them
    (DATABASE_URL and the like, from `crm-devstack env`) unless already set."""
    started = subprocess.run(_devstack("up"), capture_output=True, text=True)
    if started.returncode != 0:
        raise RuntimeError(f"crm-devstack up failed:\n{started.stdout}{started.stderr}")
    printed = subprocess.run(_devstack("env"), capture_output=True, text=True, check=True)
    found = {}
    for line in printed.stdout.splitlines():
        name, sep, value = line.removeprefix("export ").partition("=")
        if sep and name.isupper():
            found[name] = value
    return {**found, **os.environ}


def run_step(step: Step, env: dict[str, str]) -> int | None:
    """Run it with its output shown; None when it ran out of time (it and its children are
    stopped: each step runs in a process group of its own)."""
    step.output.unlink(missing_ok=True)
    process = subprocess.Popen(step.command, start_new_session=True, env=env)
    try:
        return process.wait(timeout=step.timeout_s)
    except subprocess.TimeoutExpired:
        _stop_group(process)
        return None
    except BaseException:
        _stop_group(process)
        raise


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _devstack(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "crm-devstack"), *args]


def running_services(status_text: str) -> tuple[int, int]:
    """(running, listed) from `crm-devstack system status`, one line a server."""
    states = [line.split()[:2] for line in status_text.splitlines() if len(line.split()) >= 2]
    listed = [state for state in states if state[1] in ("running", "stopped")]
    return sum(state[1] == "running" for state in listed), len(listed)


@contextlib.contextmanager
def system_up(say: Callable[[str], None]) -> Iterator[None]:
    """The five services and the gateway for the backtests, as `make up` starts them. Stopped
    afterwards only when none of them ran before; Kafka, PostgreSQL and Redis are never
    stopped (others use them)."""
    wide = {**os.environ, "COLUMNS": "400"}
    status = subprocess.run(_devstack("system", "status"), capture_output=True, text=True, env=wide)
    running, listed = running_services(status.stdout)
    if listed and running == listed:
        say("the system is running: it stays as it is")
        yield
        return
    say(f"{running} of {listed} system servers running: `crm-devstack system up`")
    started = subprocess.run(_devstack("system", "up"), capture_output=True, text=True)
    if started.returncode != 0:
        raise RuntimeError(f"crm-devstack system up failed:\n{started.stdout}{started.stderr}")
    try:
        yield
    finally:
        if running == 0:
            say("stopping the system again (`crm-devstack system down`; servers left running)")
            subprocess.run(_devstack("system", "down"), check=False)
        else:
            say("the system was partly running before: left running")
