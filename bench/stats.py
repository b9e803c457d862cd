"""Benchmark of the stats service: `uv run python -m bench.stats [--events N ...]`.

Prints (1) consumer throughput through Kafka into the log and counters, (2) event → ticker
latency (Kafka ack to the item readable in the account's Redis Stream, which is what the SSE
endpoint serves), (3) the handler's throughput without Kafka, used to load a large account,
and (4) GET /api/customers/stats p50/p99 over that account. Servers come from
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL / REDIS_URL, else the local launcher (crm_devstack,
part of the workspace's development environment, imported only in bench.stats_setup).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.stats_consumer import consumer_and_ticker
from bench.stats_history import History
from bench.stats_setup import AS_OF, SECRET, app_for, percentile, report, scratch, servers
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.auth import mint_token
from crm_servicekit.clock import FixedClock
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new
from crm_servicekit.logging import configure_logging
from crm_stats.main import MIGRATIONS
from crm_stats.service import record_batch

BATCH = 500


async def large_account(
    args: argparse.Namespace, kafka: str, pg: str, redis: str
) -> dict[str, Any]:
    account = f"bench{uuid.uuid4().hex[:8]}"
    async with scratch(kafka, pg) as (dsn, topic):
        await apply_migrations_in_thread(dsn, MIGRATIONS)
        pool = await create_pool(dsn, min_size=1, max_size=2)
        accounts = Accounts([Account(account_id=account)])
        history = History(account, AS_OF, args.days, seed=2)
        batch: list[EventEnvelope] = []
        spent, loaded = 0.0, 0
        for event in history.events(args.events):
            batch.append(EventEnvelope.model_validate_json(event.to_json()))
            if len(batch) == BATCH:
                spent += await apply(pool, accounts, batch)
                loaded += len(batch)
                batch = []
                if loaded % 100_000 == 0:
                    report(f"  loaded {loaded:,} events", file=sys.stderr)
        if batch:
            spent += await apply(pool, accounts, batch)
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


async def apply(pool: asyncpg.Pool, accounts: Accounts, batch: list[EventEnvelope]) -> float:
    started = time.perf_counter()
    async with pool.acquire() as conn, conn.transaction():
        await record_batch(conn, await claim_new(conn, batch), accounts)
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
