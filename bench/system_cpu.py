"""System-wide CPU per event (not a test): `uv run python -m bench.system_cpu [--seconds 10]`.

Against the running system (`uv run crm-devstack system up`; the state dir from
CRM_STATE_DIR, else `.local`): finds its processes (bench/system_processes.py), measures
their CPU while idle, then sends single NO_SHOW events through the gateway, one request per
event, at concurrency 1, 16 and 64 (wrk, bench/ingest_loadgen.py), every second request to a
customer no request named before and the others to a pool of existing prospects, as the demo
account with a token signed by the local secrets like the quick start's. After each load it
polls until every service's consumer group has caught up (bench/system_backlog.py): the
window is from the first request until then, and all CPU in it counts, less the idle rate
over the same time. With `--backtest-contacts N` it measures a backtest of N contacts the
same way (`crm-backtest run`, batched as the history holds them), per delivery. Each phase
also counts the messages that reached crm.events.v1 in its window (the end offsets summed
over partitions, before the first request and when drained) per accepted event: the events
themselves and the services' announcements they cause, the unit KEDA counts lag in.
`--json PATH` writes the result, with the command, commit and time, for bench.capacity.

The floor is bench/http_floor.py's do-nothing route with the bearer-token check, measured
by its method just before each phase at the same concurrency: the share is events fully
processed per second over the floor's requests per second.

A request refused (429 from the rate limit, 503) is not an event, but the CPU spent refusing
it is in the window: the refused count is printed beside each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition

from bench import http_floor
from bench import ingest_loadgen as loadgen
from bench.system_backlog import BacklogWatch, messages_between
from bench.system_processes import CpuSeconds, SystemProcesses, used_between
from crm_backtest.machine import git_commit
from crm_devstack.demo_account import DEMO_ACCOUNT, LocalSecrets
from crm_devstack.processes import free_port
from crm_devstack.settings import StackConfig
from crm_servicekit.auth import mint_token

CONCURRENCIES = (1, 16, 64)
REPLAYER_IN_FLIGHT = 64  # the backtest replayer's requests in flight: its floor


@contextmanager
def floor_server() -> Iterator[tuple[str, str]]:
    """The floor's server (its URL for the authenticated route, and a token for it)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", http_floor.SERVER, str(port), http_floor.JWT_SECRET]
    )
    try:
        http_floor.wait_live(f"http://127.0.0.1:{port}/health/live", server)
        token = mint_token(http_floor.JWT_SECRET, "floor", "bench", timedelta(hours=2))
        yield f"http://127.0.0.1:{port}/api/floor/authenticated", token
    finally:
        server.terminate()
        server.wait(timeout=30)


def per_unit_ms(used: CpuSeconds, idle: CpuSeconds, window_s: float, units: int) -> CpuSeconds:
    """CPU ms per unit of work in each group: used in the window less the idle rate over it."""
    return {
        name: round(1000 * max(0.0, used[name] - idle[name] * window_s) / max(1, units), 3)
        for name in used
    }


async def idle_rate(processes: SystemProcesses, seconds: float) -> CpuSeconds:
    """CPU seconds per second each group uses with nothing sent (its drift)."""
    before, start = processes.cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)  # a measuring period, not a wait for something to happen
    used = used_between(before, processes.cpu_seconds())
    return {name: value / (time.monotonic() - start) for name, value in used.items()}


@dataclass(frozen=True)
class Window:
    """A measuring window's end: CPU then, when, and the topic's end offsets then."""

    drained: bool
    cpu: CpuSeconds
    at: float
    ends: dict[TopicPartition, int]


async def until_drained(
    watch: BacklogWatch, processes: SystemProcesses, timeout_s: float
) -> Window:
    """The window ends when the backlog was found drained, or at the timeout."""
    drained = await watch.drained(timeout_s, processes.cpu_seconds)
    if drained is None:
        cpu, at = processes.cpu_seconds(), time.monotonic()
        return Window(False, cpu, at, (await watch.look()).ends)
    return Window(True, drained.sample, drained.at, drained.backlog.ends)


def figures(
    units: int,
    window_s: float,
    used: CpuSeconds,
    idle: CpuSeconds,
    floor_rps: float,
    messages: int,
) -> dict[str, Any]:
    by_group = per_unit_ms(used, idle, window_s, units)
    processed = units / window_s if window_s > 0 else 0.0
    return {
        "processed_seconds": round(window_s, 2),
        "processed_per_s": round(processed, 1),
        "cpu_ms_per_event": round(sum(by_group.values()), 3),
        "cpu_ms_per_event_by_group": by_group,
        # KEDA counts lag in messages of the topic, and each event causes several (the
        # services' announcements): how many, for turning events/s into messages/s.
        "topic_messages": messages,
        "messages_per_event": round(messages / max(1, units), 2),
        "floor_requests_per_s": floor_rps,
        "floor_share": round(processed / floor_rps, 4) if floor_rps else None,
    }


async def single_phase(
    args: argparse.Namespace,
    watch: BacklogWatch,
    processes: SystemProcesses,
    idle: CpuSeconds,
    floor: tuple[str, str],
    token: str,
    concurrency: int,
) -> dict[str, Any]:
    measured_floor = await asyncio.to_thread(
        http_floor.load, floor[0], floor[1], concurrency, args.seconds
    )
    ends = (await watch.look()).ends
    before, start = processes.cpu_seconds(), time.monotonic()
    load = await loadgen.single_events(
        args.gateway, token, connections=concurrency, seconds=args.seconds,
        event_name="NO_SHOW", properties="{}", new_every=2, customers=args.customers,
    )  # fmt: skip
    window = await until_drained(watch, processes, args.drain_timeout)
    phase = {
        "name": f"single, concurrency {concurrency}",
        "concurrency": concurrency,
        "accepted": load.accepted,
        "refused": load.refused,
        "events_per_s": round(load.accepted / load.seconds, 1),
        "p50_ms": load.p50_ms,
        "p99_ms": load.p99_ms,
        "drained": window.drained,
        **figures(load.accepted, window.at - start, used_between(before, window.cpu), idle,
                  measured_floor["requests_per_s"], messages_between(ends, window.ends)),
    }  # fmt: skip
    return phase


async def backtest_phase(
    args: argparse.Namespace,
    watch: BacklogWatch,
    processes: SystemProcesses,
    idle: CpuSeconds,
    floor: tuple[str, str],
) -> dict[str, Any]:
    measured_floor = await asyncio.to_thread(
        http_floor.load, floor[0], floor[1], REPLAYER_IN_FLIGHT, args.seconds
    )
    with tempfile.TemporaryDirectory(prefix="system-cpu-") as folder:
        report_file = Path(folder) / "backtest.json"
        command = [
            sys.executable, "-m", "crm_backtest.cli", "run",
            "--contacts", str(args.backtest_contacts), "--seed", str(args.backtest_seed),
            "--rate", "100000", "--catch-up", "300", "--api", f"{args.gateway}/api",
            "--state-dir", str(args.state_dir), "--report", str(report_file),
        ]  # fmt: skip
        ends = (await watch.look()).ends
        before, start = processes.cpu_seconds(), time.monotonic()
        replay = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL)
        await replay.wait()
        window = await until_drained(watch, processes, args.drain_timeout)
        if not report_file.exists():
            raise RuntimeError(f"the backtest wrote no report (exit code {replay.returncode})")
        report = json.loads(report_file.read_text())
    deliveries = int(report["deliveries"])
    return {
        "name": f"backtest, {args.backtest_contacts} contacts",
        "contacts": args.backtest_contacts,
        "deliveries": deliveries,
        "ok": bool(report["ok"]),
        "mismatch_count": report["mismatch_count"],
        "drained": window.drained,
        **figures(deliveries, window.at - start, used_between(before, window.cpu), idle,
                  measured_floor["requests_per_s"], messages_between(ends, window.ends)),
    }  # fmt: skip


def line(phase: dict[str, Any]) -> str:
    groups = "  ".join(f"{k} {v:.2f}" for k, v in phase["cpu_ms_per_event_by_group"].items())
    accepted = f"{phase['events_per_s']:>7.0f} events/s accepted, " if "accepted" in phase else ""
    share = "—" if phase["floor_share"] is None else f"{phase['floor_share']:.1%}"
    return (
        f"{phase['name']:<28} {accepted}{phase['processed_per_s']:>7.1f}/s fully processed"
        f"{'' if phase['drained'] else ' (NOT drained)'}, "
        f"CPU {phase['cpu_ms_per_event']:.2f} ms each, "
        f"{phase['messages_per_event']:.2f} topic messages each, "
        f"{share} of the floor ({phase['floor_requests_per_s']:,.0f} requests/s)"
        f"{', refused ' + str(phase['refused']) if phase.get('refused') else ''}\n"
        f"{'':<28} by process: {groups}"
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    config = StackConfig.from_env(args.state_dir)
    processes = SystemProcesses.find(config)
    local = LocalSecrets.load_or_create(config.state_dir)
    token = mint_token(local.jwt_secret, DEMO_ACCOUNT, "system-cpu-bench", timedelta(hours=2))
    command = shlex.join(["uv", "run", "python", "-m", "bench.system_cpu", *sys.argv[1:]])
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"command: {command}", flush=True)
    phases = []
    with floor_server() as floor:
        async with BacklogWatch(config.endpoints.kafka_bootstrap) as watch:
            if args.warm_up_seconds > 0:  # connections, caches, the JVM's compiled code
                await loadgen.single_events(
                    args.gateway, token, connections=4, seconds=args.warm_up_seconds,
                    event_name="NO_SHOW", properties="{}", new_every=2,
                )  # fmt: skip
            # Start from a drained system: a backlog left before would count as ours.
            if await watch.drained(args.drain_timeout, lambda: None) is None:
                raise RuntimeError("the system's backlog did not drain before the run")
            idle = await idle_rate(processes, args.idle_seconds)
            print(f"idle CPU ms/s: { {k: round(1000 * v, 1) for k, v in idle.items()} }")
            for concurrency in args.concurrency:
                phase = await single_phase(args, watch, processes, idle, floor, token, concurrency)
                print(line(phase), flush=True)
                phases.append(phase)
            if args.backtest_contacts:
                phase = await backtest_phase(args, watch, processes, idle, floor)
                print(line(phase), flush=True)
                phases.append(phase)
    print(f"load average: {os.getloadavg()}")
    return {
        "benchmark": "system_cpu",
        "command": command,
        "commit": git_commit(Path.cwd()),
        "measured_at": started,
        "seconds_per_phase": args.seconds,
        "idle_cpu_ms_per_s": {k: round(1000 * v, 2) for k, v in idle.items()},
        "phases": phases,
    }


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load per concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCIES))
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--warm-up-seconds", type=float, default=2.0)
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--customers", type=int, default=2_000, help="existing prospects' pool")
    parser.add_argument("--backtest-contacts", type=int, default=0, help="0: no backtest")
    parser.add_argument("--backtest-seed", type=int, default=101)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--state-dir", type=Path, default=Path(os.environ.get("CRM_STATE_DIR", ".local"))
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    result = asyncio.run(main(args))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    run()
