"""Benchmark of the stats service: `uv run python -m bench.stats [--events N ...]`.

Prints (1) consumer throughput through Kafka into the log and counters, (2) event → ticker
latency (Kafka ack to the item readable in the account's Redis Stream, which is what the SSE
endpoint serves), (3) the handler's throughput without Kafka, used to load a large account,
and (4) GET /api/customers/stats p50/p99 over that account. Servers come from
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL / REDIS_URL, else the local launcher (crm_devstack,
part of the workspace's development environment, imported only here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from bench.stats_history import History
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.auth import mint_token
from crm_servicekit.clock import FixedClock
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.gc_tuning import freeze_startup_heap
from crm_servicekit.idempotency_store import claim_new
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of
from crm_servicekit.logging import configure_logging
from crm_stats.consumer import stats_handler
from crm_stats.main import MIGRATIONS, build_app
from crm_stats.settings import StatsSettings
from crm_stats.ticker_stream import stream_key

AS_OF = datetime(2026, 11, 2, 12, tzinfo=UTC)
SECRET = "bench-jwt-secret-4f0c2a9e7b1d3c5e8a6f"
BATCH = 500


def report(line: str, *, file: Any = sys.stdout) -> None:
    """The benchmark's output is its figures, on stdout (progress on stderr)."""
    file.write(line + "\n")
    file.flush()


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered)) - 1))]


async def servers() -> tuple[str, str, str]:
    env = os.environ
    if all(k in env for k in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "REDIS_URL")):
        return env["KAFKA_BOOTSTRAP_SERVERS"], env["DATABASE_URL"], env["REDIS_URL"]
    from crm_devstack.stack import ensure_up_async

    found = await ensure_up_async(names=["kafka", "postgres", "redis"])
    return found.kafka_bootstrap, found.postgres_url, found.redis_url


@contextlib.asynccontextmanager
async def scratch(kafka: str, postgres: str) -> AsyncIterator[tuple[str, str]]:
    """A fresh database and a fresh 12-partition topic, removed afterwards."""
    from crm_devstack.databases import create_database, drop_database
    from crm_devstack.topics import TopicSpec, create_topics, delete_topics

    name = f"bench_stats_{uuid.uuid4().hex[:8]}"
    topic = name.replace("_", "-")
    await create_topics(kafka, [TopicSpec(topic, 12, {})])
    dsn = await create_database(postgres, name)
    try:
        yield dsn, topic
    finally:
        await drop_database(postgres, name)
        await delete_topics(kafka, [topic])


def app_for(account: str, dsn: str, kafka: str, redis: str, topic: str) -> Any:
    settings = StatsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=kafka,
        redis_url=redis,
        jwt_secret=SECRET,
        events_topic=topic,
        consumer_group=f"stats-bench-{uuid.uuid4().hex[:8]}",  # never the running system's group
        db_pool_max_size=4,
    )
    accounts = Accounts([Account(account_id=account, time_zone="Europe/Oslo")])
    app = build_app(settings, clock=FixedClock(AS_OF), accounts=accounts)
    freeze_startup_heap()  # as serve() does before it runs a service
    return app


async def produce(kafka: str, events: Sequence[EventEnvelope], topic: str) -> None:
    producer = idempotent_producer(kafka, client_id="stats-bench")
    await producer.start()
    try:
        for start in range(0, len(events), 5000):
            records = [record_of(e, topic) for e in events[start : start + 5000]]
            await publish_in_order(producer, records)
    finally:
        await producer.stop()


async def consumed(pool: asyncpg.Pool, expected: int) -> None:
    """Poll the log until every produced event is in it (a quarter-second resolution)."""
    for _ in range(4 * 3600):
        if await pool.fetchval("SELECT count(*) FROM event_log") >= expected:
            return
        await asyncio.sleep(0.25)
    raise TimeoutError("the consumer did not catch up within an hour")


async def drained(pool: asyncpg.Pool) -> None:
    """Wait until the relay appended the history's ticker items, so they do not queue
    ahead of the measured ones."""
    for _ in range(4 * 3600):
        if not await pool.fetchval("SELECT count(*) FROM ticker_pending"):
            return
        await asyncio.sleep(0.25)
    raise TimeoutError("the ticker relay did not drain within an hour")


async def consumer_and_ticker(
    args: argparse.Namespace, kafka: str, pg: str, redis: str
) -> dict[str, Any]:
    account = f"bench{uuid.uuid4().hex[:8]}"
    events = list(History(account, AS_OF, 120, seed=1).events(args.kafka_events))
    async with scratch(kafka, pg) as (dsn, topic):
        await produce(kafka, events, topic)
        app = app_for(account, dsn, kafka, redis, topic)
        pool = await create_pool(dsn, min_size=1, max_size=2)
        started = time.perf_counter()
        async with app.router.lifespan_context(app):
            await consumed(pool, len(events))
            await drained(pool)
            seconds = time.perf_counter() - started
            report(
                f"consumer through Kafka: {len(events):,} events in {seconds:.1f} s "
                f"= {len(events) / seconds:,.0f} events/s (incl. start-up and group join)"
            )
            latencies = await ticker_latency(account, kafka, redis, topic, args.ticker_events)
        await pool.close()
    report(
        f"event -> ticker latency over {len(latencies)} items: "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )
    return {
        "consumer": {"events": len(events), "events_per_s": round(len(events) / seconds, 1)},
        "ticker": {
            "samples": len(latencies),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        },
    }


async def ticker_latency(
    account: str, kafka: str, redis_url: str, topic: str, count: int
) -> list[float]:
    """Kafka ack → the item readable in the Redis Stream, for `count` events sent ~20/s."""
    redis = Redis.from_url(redis_url)
    producer = idempotent_producer(kafka, client_id="stats-bench-ticker")
    await producer.start()
    events = [
        EventEnvelope.model_validate(
            {
                "event_name": "VIDEO_SENT",
                "event_id": f"tick-{uuid.uuid4()}",
                "timestamp": AS_OF + timedelta(seconds=n),
                "account_id": account,
                "customer_id": uuid.uuid4(),
                "source": "ig",
                "received_at": AS_OF,
                "producer": "bench",
            }
        )
        for n in range(count)
    ]
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    newest: Any = await redis.xrevrange(stream_key(account), count=1)

    async def read() -> None:
        last_id: Any = newest[0][0] if newest else b"0-0"
        while len(arrived) < count:
            answer: Any = await redis.xread({stream_key(account): last_id}, block=1000)
            for _, entries in answer:
                for entry_id, fields in entries:
                    last_id = entry_id
                    event_id = json.loads(fields[b"item"])["data"]["event_id"]
                    if event_id.startswith("tick-"):  # not the history's own items
                        arrived[event_id] = time.perf_counter()

    reader = asyncio.create_task(read())
    try:
        for event in events:
            await publish_in_order(producer, [record_of(event, topic)])
            sent[event.event_id] = time.perf_counter()
            await asyncio.sleep(0.05)
        await asyncio.wait_for(reader, timeout=300)
    finally:
        reader.cancel()
        await producer.stop()
        await redis.aclose()
    return [arrived[k] - sent[k] for k in sent]


async def large_account(
    args: argparse.Namespace, kafka: str, pg: str, redis: str
) -> dict[str, Any]:
    account = f"bench{uuid.uuid4().hex[:8]}"
    async with scratch(kafka, pg) as (dsn, topic):
        await apply_migrations_in_thread(dsn, MIGRATIONS)
        pool = await create_pool(dsn, min_size=1, max_size=2)
        handle = stats_handler(Accounts([Account(account_id=account)]))
        history = History(account, AS_OF, args.days, seed=2)
        batch: list[EventEnvelope] = []
        spent, loaded = 0.0, 0
        for event in history.events(args.events):
            batch.append(EventEnvelope.model_validate_json(event.to_json()))
            if len(batch) == BATCH:
                spent += await apply(pool, handle, batch)
                loaded += len(batch)
                batch = []
                if loaded % 100_000 == 0:
                    report(f"  loaded {loaded:,} events", file=sys.stderr)
        if batch:
            spent += await apply(pool, handle, batch)
            loaded += len(batch)
        # The account as it stands in service, where autovacuum keeps up with a trickle of
        # events: right after a bulk load it has not, and the counts' index-only scans visit
        # heap pages (measured: week p50 42 ms just after the load, 20 ms once vacuumed).
        await pool.execute("VACUUM (ANALYZE)")
        await pool.close()
        report(
            f"handler without Kafka: {loaded:,} events in {spent:.1f} s of transactions "
            f"= {loaded / spent:,.0f} events/s (batches of {BATCH})"
        )
        figures: dict[str, Any] = {
            "handler": {"events": loaded, "events_per_s": round(loaded / spent, 1)},
            "customers_stats": {},
        }
        app = app_for(account, dsn, kafka, redis, topic)
        token = mint_token(SECRET, account, "bench", timedelta(days=1), clock=FixedClock(AS_OF))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://stats",
                headers={"Authorization": f"Bearer {token}"},
            ) as client,
        ):
            for params in ({"period": "week", "pipeline": "frazer"}, {"period": "today"}):
                times = await timed_gets(client, "/api/customers/stats", params, args.requests)
                figures["customers_stats"][" ".join(params.values())] = {
                    "events": loaded,
                    "requests": len(times),
                    "p50_ms": round(percentile(times, 0.5) * 1000, 1),
                    "p99_ms": round(percentile(times, 0.99) * 1000, 1),
                }
                report(
                    f"GET /api/customers/stats {params} with {loaded:,} events: "
                    f"p50 {percentile(times, 0.5) * 1000:.1f} ms, "
                    f"p99 {percentile(times, 0.99) * 1000:.1f} ms, "
                    f"mean {statistics.mean(times) * 1000:.1f} ms ({len(times)} requests)"
                )
    return figures


async def apply(pool: asyncpg.Pool, handle: Any, batch: list[EventEnvelope]) -> float:
    started = time.perf_counter()
    async with pool.acquire() as conn, conn.transaction():
        await handle(conn, await claim_new(conn, batch))
    return time.perf_counter() - started


async def timed_gets(
    client: httpx.AsyncClient, path: str, params: dict[str, str], count: int
) -> list[float]:
    for _ in range(10):  # warm the pool and the caches
        (await client.get(path, params=params)).raise_for_status()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        (await client.get(path, params=params)).raise_for_status()
        times.append(time.perf_counter() - started)
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the large account")
    parser.add_argument("--days", type=int, default=365, help="days the large account spans")
    parser.add_argument("--kafka-events", type=int, default=50_000)
    parser.add_argument("--ticker-events", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", choices=("consumer", "stats"), help="run one part")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    configure_logging("WARNING", service="stats-bench")
    kafka, pg, redis = await servers()
    report(f"command: uv run python -m bench.stats {' '.join(sys.argv[1:])}".rstrip())
    figures: dict[str, Any] = {"benchmark": "stats"}
    if args.only != "stats":
        figures |= await consumer_and_ticker(args, kafka, pg, redis)
    if args.only != "consumer":
        figures |= await large_account(args, kafka, pg, redis)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
