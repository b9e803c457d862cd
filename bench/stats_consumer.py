"""The stats benchmark's Kafka part: consumer throughput through Kafka into the log and the
counters, and event -> ticker latency (Kafka ack to the item readable in the account's Redis
Stream, which is what the SSE endpoint serves)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from redis.asyncio import Redis

from bench.stats_history import History
from bench.stats_setup import AS_OF, app_for, percentile, report, scratch
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.db import create_pool
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of
from crm_stats.ticker_stream import stream_key


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
