"""Benchmark of ingest (not a test): `uv run python -m bench.ingest [--seconds 10]`.

Starts real ingest processes (uvicorn, one worker each) against the Kafka, PostgreSQL and Redis
given by KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and REDIS_URL (default: the devstack's
`make up` addresses), on a fresh database and a fresh 12-partition topic, with the rate
limit raised through settings. Prints accepted events/s and p50/p99 latency for single
events at concurrency 1, 16 and 64, for a paced run at half the best single-event rate
(driven by wrk, see ingest_loadgen.py), and for the batch endpoint; then deliveries/s,
messages/s accepted and p50/p99 per delivery for signed Meta deliveries of 100 Messenger
messages at concurrency 1 and 4 (ingest_meta.py).

`--replicas N` (2 by default) runs N ingest processes sharing the port (`http_reuse_port`),
as ops would scale ingest on a host: one Python process uses at most one core, and on 2
cores one process left the other mostly idle (docs/benchmarks.md, ingest replicas).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench import ingest_loadgen as loadgen
from bench import ingest_meta as meta
from bench.ingest_phase import Phase, cpu_seconds
from crm_servicekit.accounts import Account, write_accounts_file
from crm_servicekit.auth import mint_token
from crm_servicekit.health import instance_name
from crm_servicekit.settings import with_database_name

JWT_SECRET = "bench-jwt-secret-0123456789abcdefghijklmnop"
CUSTOMERS = 2_000


def event(n: int) -> dict[str, Any]:
    return {
        "event_name": "MESSAGE_SENT",
        "event_id": f"bench-{uuid.uuid4().hex}",
        "timestamp": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        "source": "ig",
        "contact": {"email": f"prospect{n % CUSTOMERS}@example.com"},
        "properties": {"channel": "ig"},
    }


async def single_events(base_url: str, token: str, connections: int, seconds: float) -> Phase:
    """Closed loop: each connection sends its next event as soon as the last is answered."""
    result = await loadgen.single_events(
        base_url, token, connections=connections, seconds=seconds, customers=CUSTOMERS
    )
    _refusals(result)
    name = f"single, concurrency {connections}"
    return Phase(name, result.accepted, result.seconds, [], 0.0, (result.p50_ms, result.p99_ms))


async def paced(base_url: str, token: str, rate: float, seconds: float) -> Phase:
    """About `rate` events/s: each of rate/2 connections sends one event every half second,
    so an answer (tens of ms) hardly delays the next request and the rate holds."""
    connections = max(1, round(rate / 2))
    result = await loadgen.single_events(
        base_url, token, connections=connections, seconds=seconds, rate=rate, customers=CUSTOMERS
    )
    _refusals(result)
    name = f"single, paced at {rate:.0f}/s"
    return Phase(name, result.accepted, result.seconds, [], 0.0, (result.p50_ms, result.p99_ms))


def _refusals(result: loadgen.LoadResult) -> None:
    if result.refused:
        print(f"{result.refused} of {result.requests} requests not accepted", file=sys.stderr)


async def batches(client: httpx.AsyncClient, concurrency: int, seconds: float) -> Phase:
    latencies: list[float] = []
    accepted = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal accepted
        while time.perf_counter() < deadline:
            body = {"events": [event(n) for n in range(500)]}
            started = time.perf_counter()
            answer = await client.post("/api/events/batch", json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                print(f"unexpected {answer.status_code}: {answer.text[:200]}", file=sys.stderr)
                continue
            accepted += sum(r["status"] == "accepted" for r in answer.json()["results"])

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    name = f"batch of 500, concurrency {concurrency}"
    return Phase(name, accepted, time.perf_counter() - started, latencies)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_ready(base_url: str, processes: list[asyncio.subprocess.Process]) -> None:
    """Until every replica answered ready: each ask on a fresh connection, which the kernel
    gives to any replica listening (a replica still starting does not listen yet)."""
    instances = {instance_name(process.pid) for process in processes}
    ready: set[str] = set()
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, limits=fresh) as client:
        for _ in range(1200):
            if any(process.returncode is not None for process in processes):
                raise RuntimeError("an ingest replica exited before it was ready")
            try:
                answer = await client.get("/health/ready")
                if answer.status_code == 200:
                    ready.add(answer.json()["instance"])
            except httpx.TransportError:
                pass
            if ready >= instances:
                return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{len(instances - ready)} ingest replicas not ready in 120 s")


async def main(args: argparse.Namespace) -> None:
    server_dsn = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:15432/postgres")
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:16379/0")
    run_id = uuid.uuid4().hex[:10]
    database, topic = f"ingest_bench_{run_id}", f"ingest-bench-{run_id}"
    admin_conn = await asyncpg.connect(server_dsn)
    await admin_conn.execute(f'CREATE DATABASE "{database}"')
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=12, replication_factor=1)])
    folder = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    accounts = write_accounts_file(
        folder / "accounts.yaml", [Account(account_id="bench", connectors=meta.connectors())]
    )
    port = free_port()
    settings = {
        "INGEST_DATABASE_URL": with_database_name(server_dsn, database),
        "INGEST_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "INGEST_REDIS_URL": redis_url,
        "INGEST_EVENTS_TOPIC": topic,
        "INGEST_ACCOUNTS_FILE": str(accounts),
        "INGEST_HTTP_PORT": str(port),
        "INGEST_JWT_SECRET": JWT_SECRET,
        "INGEST_LOG_LEVEL": "WARNING",
        "INGEST_REDIS_KEY_PREFIX": f"bench-{run_id}",
        "INGEST_CONSUMER_GROUP": f"ingest-bench-{run_id}",  # never the running system's group
        # Raised for the benchmark through settings; never switched off in code.
        "INGEST_RATE_LIMIT_PER_S": str(args.rate_limit),
        "INGEST_RATE_LIMIT_BURST": str(int(args.rate_limit)),
        **meta.settings(),
    }
    if args.replicas > 1:
        settings["INGEST_HTTP_REUSE_PORT"] = "true"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from crm_ingest.main import run; run()",
            env={**os.environ, **settings},
        )
        for _ in range(args.replicas)
    ]

    def server_cpu() -> float:
        return sum(cpu_seconds(process.pid) for process in processes)

    base_url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base_url, processes)
        token = mint_token(JWT_SECRET, "bench", "bench-user", timedelta(hours=2))
        limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
        async with httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            limits=limits,
            timeout=60,
        ) as client:
            await single_events(base_url, token, 8, 2)  # warm-up: connections, caches, the JVM
            print(
                "command: uv run python -m bench.ingest"
                f" --seconds {args.seconds} --replicas {args.replicas}"
            )
            print(f"rate limit raised through INGEST_RATE_LIMIT_PER_S={args.rate_limit}")
            print(f"ingest replicas: {args.replicas}, sharing port {port}")
            results = []

            async def measured(run: Any) -> Phase:
                before = server_cpu()
                phase: Phase = await run
                phase.server_cpu_s = server_cpu() - before
                print(phase.line(), flush=True)
                results.append(phase)
                return phase

            for concurrency in (1, 16, 64):
                await measured(single_events(base_url, token, concurrency, args.seconds))
            best = max(p.accepted / p.seconds for p in results)
            await measured(paced(base_url, token, best / 2, args.seconds))
            await measured(batches(client, 4, args.seconds))
            # Meta signs its deliveries and sends no token.
            async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as hooks:
                pool = await meta.introduce_pool(hooks)
                for concurrency in (1, 4):
                    await measured(meta.deliveries(hooks, pool, concurrency, args.seconds))
            meta_best = max(p.accepted / p.seconds for p in results if p.deliveries is not None)
            print(f"meta messages/s over the best single events/s: {meta_best / best:.2f}")
            print(f"load average during the run: {os.getloadavg()}")
            if args.json:
                phases = [phase.figures() for phase in results]
                figures = {
                    "benchmark": "ingest",
                    "seconds_per_phase": args.seconds,
                    "replicas": args.replicas,
                }
                args.json.write_text(json.dumps({**figures, "phases": phases}, indent=2))
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()
        await admin.delete_topics([topic])
        await admin.close()
        await admin_conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin_conn.close()


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--rate-limit", type=float, default=1_000_000.0)
    parser.add_argument(
        "--replicas", type=int, default=2, help="ingest processes sharing the port (SO_REUSEPORT)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    asyncio.run(main(args))


if __name__ == "__main__":
    run()
