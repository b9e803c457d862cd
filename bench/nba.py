"""Benchmark: recompute throughput and `GET /api/nba?limit=50` latency with 10,000 customers.

    uv run python -m bench.nba [--customers 10000] [--requests 500]

Needs PostgreSQL and Kafka (`make up`); addresses from --postgres/--kafka, else DATABASE_URL
and KAFKA_BOOTSTRAP_SERVERS, else the local devstack's. A throw-away database is created and
dropped. Recompute runs the consumer's handler (journal, DMO counts, projection, policy,
store, outbox) in transactions of 500 events, as the runtime does; the API is served in
process through httpx's ASGI transport (no network hop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from crm_nba.announce import Outlet
from crm_nba.api import router
from crm_nba.main import MIGRATIONS
from crm_nba.service.recompute import take_events
from crm_nba.settings import NbaSettings
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts, write_accounts_file
from crm_servicekit.auth import mint_token
from crm_servicekit.clock import FixedClock
from crm_servicekit.db import apply_migrations_in_thread, create_pool, plain_postgres_dsn
from crm_servicekit.gc_tuning import freeze_startup_heap
from crm_servicekit.idempotency_store import claim_new
from crm_servicekit.runtime import ServiceSpec, build_service_app
from crm_servicekit.settings import with_database_name

ACCOUNT = "bench"
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
BATCH = 500
BENCH_TOPIC = "crm.events.v1.bench"
# The paths each synthetic customer may follow, as (event name, hours after the previous).
PATHS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("DM_STARTED", 0),),
    (("DM_STARTED", 0), ("MESSAGE_SENT", 1), ("INVITE_SENT", 20)),
    (("DM_STARTED", 0), ("INVITE_SENT", 5), ("LEAD_QUALIFIED", 30)),
    (("DM_STARTED", 0), ("INVITE_SENT", 2), ("VIDEO_SENT", 30), ("FOLLOW_UP_DONE", 40)),
    (("DM_STARTED", 0), ("INVITE_SENT", 2), ("MEETING_BOOKED", 10), ("NO_SHOW", 30)),
    (("DM_STARTED", 0), ("INVITE_SENT", 3), ("MEETING_BOOKED", 5), ("MEETING_HELD", 30)),
    (("DM_STARTED", 0), ("VIDEO_SENT", 4), ("JOINED_TEAM", 60)),
    (("DM_STARTED", 0), ("UNSUBSCRIBED", 12)),
)


def synthetic_histories(customers: int, seed: int) -> Iterator[EventEnvelope]:
    """Each customer's events, spread over 60 days, with a custom reminder now and then."""
    rng = random.Random(seed)
    for _ in range(customers):
        customer = uuid.UUID(int=rng.getrandbits(128), version=4)
        at = START + timedelta(hours=rng.randrange(0, 60 * 24))
        for n, (name, gap) in enumerate(rng.choice(PATHS)):
            at += timedelta(hours=gap, minutes=rng.randrange(0, 60))
            yield _event(customer, f"{customer.hex}-{n}", name, at, _properties(name, at))
        if rng.random() < 0.3:
            reminder = {
                "reminder_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "type": "custom",
                "rule": "manual",
                "scheduled_for": (at + timedelta(hours=rng.randrange(1, 400))).isoformat(),
                "trigger_event_id": "bench",
                "automated": False,
            }
            yield _event(customer, f"{customer.hex}-r", "REMINDER_CREATED", at, reminder)


def _properties(name: str, at: datetime) -> dict[str, object]:
    if name == "MESSAGE_SENT":
        return {"channel": "ig"}
    if name == "MEETING_BOOKED":
        return {"booking_time": (at + timedelta(days=1)).isoformat()}
    return {}


def _event(
    customer: uuid.UUID, event_id: str, name: str, at: datetime, props: dict[str, object]
) -> EventEnvelope:
    return EventEnvelope(
        event_name=name,
        event_id=event_id,
        timestamp=at,
        account_id=ACCOUNT,
        customer_id=customer,
        source="system" if name.startswith("REMINDER_") else "ig",
        properties=props,
        received_at=at,
        producer="bench",
    )


async def recompute_throughput(
    dsn: str, events: list[EventEnvelope], now: datetime
) -> tuple[float, float]:
    """Events per second through the consumer's handler, one transaction per batch; and per
    CPU second of this process (the figure a busy machine does not distort)."""
    outlet = Outlet(Accounts([Account(account_id=ACCOUNT)]), topic=BENCH_TOPIC)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for first in range(0, len(events), BATCH):
            async with pool.acquire() as conn, conn.transaction():
                fresh = await claim_new(conn, events[first : first + BATCH])
                await take_events(conn, fresh, outlet, now)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        return len(events) / wall, len(events) / cpu
    finally:
        await pool.close()


async def list_latencies(
    settings: NbaSettings, now: datetime, requests: int, as_of: datetime | None
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each request (client and server share the process)."""
    spec = ServiceSpec(
        settings=settings,
        title="nba bench",
        routers=[router],
        wire=lambda res: Outlet(res.accounts, res.settings.events_topic),
    )
    accounts = Accounts([Account(account_id=ACCOUNT)])
    clock = FixedClock(now)
    app = build_service_app(spec, clock=clock, accounts=accounts)
    freeze_startup_heap()  # as serve() does before it runs a service
    token = mint_token(settings.jwt_secret, ACCOUNT, "bench", timedelta(days=1), clock=clock)
    params = {"limit": "50", **({"as_of": as_of.isoformat()} if as_of else {})}
    timings: list[float] = []
    cpu_timings: list[float] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://nba",
            headers={"Authorization": f"Bearer {token}"},
        ) as client,
    ):
        for n in range(requests + 20):
            started, cpu = time.perf_counter(), time.process_time()
            response = await client.get("/api/nba", params=params)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            if response.status_code != 200 or len(response.json()["items"]) != 50:
                raise RuntimeError(f"unexpected answer: {response.status_code} {response.text}")
            if n >= 20:  # the first requests warm the pool and the caches
                timings.append(elapsed * 1000)
                cpu_timings.append(cpu * 1000)
    return timings, cpu_timings


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the value at rank ceil(fraction * n) of the sorted values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


async def main(args: argparse.Namespace) -> None:
    server = plain_postgres_dsn(args.postgres)
    run_id = uuid.uuid4().hex[:8]
    name = f"nba_bench_{run_id}"
    in_time_order = f"{name}_t"
    admin = await asyncpg.connect(server)
    for database in (name, in_time_order):
        await admin.execute(f'CREATE DATABASE "{database}"')
    dsn = with_database_name(server, name)
    try:
        await apply_migrations_in_thread(dsn, MIGRATIONS)
        events = list(synthetic_histories(args.customers, seed=args.seed))
        now = max(e.timestamp for e in events) + timedelta(hours=1)
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        rate, cpu_rate = await recompute_throughput(dsn, events, now)
        print(f"customers: {args.customers}, events: {len(events)}")
        print(
            f"recompute throughput, each customer's history at once: {rate:,.0f} events/s wall"
            f" clock, {cpu_rate:,.0f} events per CPU second (batches of {BATCH}, one"
            " transaction each)"
        )
        # Live traffic interleaves customers: a batch brings a few events of many customers,
        # most of whom the service has stored already.
        ordered_dsn = with_database_name(server, in_time_order)
        await apply_migrations_in_thread(ordered_dsn, MIGRATIONS)
        ordered = sorted(events, key=lambda e: (e.timestamp, e.event_id))
        ordered_rate, ordered_cpu_rate = await recompute_throughput(ordered_dsn, ordered, now)
        print(
            f"recompute throughput, events in time order: {ordered_rate:,.0f} events/s wall"
            f" clock, {ordered_cpu_rate:,.0f} events per CPU second"
        )
        accounts_file = write_accounts_file(
            Path(f"/tmp/{name}.yaml"), [Account(account_id=ACCOUNT)]
        )
        settings = NbaSettings(
            database_url=dsn,
            kafka_bootstrap_servers=args.kafka,
            accounts_file=accounts_file,
            environment="development",
            consumer_group=f"nba-bench-{run_id}",  # never the running system's group
            events_topic=BENCH_TOPIC,  # where the API's outlet would write, never the system's
        )
        figures: dict[str, object] = {"benchmark": "nba", "customers": args.customers}
        figures |= {"events": len(events), "recompute_events_per_s": round(rate, 1)}
        figures |= {"recompute_in_time_order_events_per_s": round(ordered_rate, 1)}
        for label, as_of in (("now", None), ("as_of now+1d", now + timedelta(days=1))):
            timings, cpu = await list_latencies(settings, now, args.requests, as_of)
            figures[f"list {label}"] = {
                "requests": len(timings),
                "p50_ms": round(statistics.median(timings), 1),
                "p99_ms": round(percentile(timings, 0.99), 1),
            }
            print(
                f"GET /api/nba?limit=50 ({label}): p50 {statistics.median(timings):.1f} ms, "
                f"p99 {percentile(timings, 0.99):.1f} ms over {len(timings)} requests "
                f"(CPU per request: p50 {statistics.median(cpu):.1f} ms, "
                f"p99 {percentile(cpu, 0.99):.1f} ms)"
            )
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
    finally:
        for database in (name, in_time_order):
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:15432/postgres"),
    )
    parser.add_argument(
        "--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
