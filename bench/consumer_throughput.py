"""Consumer runtime throughput on this machine: a no-op handler and a one-row-insert handler.

Not a test: it prints figures. Run with `make bench-consumer` (or
`uv run python -m bench.consumer_throughput --events 50000`). Uses the local launcher's
servers (or KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL when set).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from faststream.kafka import KafkaBroker
from rich.console import Console
from rich.table import Table

from crm_devstack.databases import create_database, drop_database
from crm_devstack.stack import ensure_up_async
from crm_devstack.topics import TopicSpec, create_topics, delete_topics
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchApplier, BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.consumer import Fetching, register_consumer
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, create_pool
from crm_servicekit.dlq import DeadLetter
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def events(count: int, customers: int) -> list[EventEnvelope]:
    ids = [uuid.uuid4() for _ in range(customers)]
    return [
        EventEnvelope(
            event_name="MESSAGE_SENT",
            event_id=f"bench-{n}",
            timestamp=T0 + timedelta(seconds=n),
            account_id="bench",
            customer_id=ids[n % customers],
            source="ig",
            properties={"channel": "ig"},
            received_at=T0,
            producer="bench",
        )
        for n in range(count)
    ]


async def noop(conn: Conn, batch: Sequence[EventEnvelope]) -> None:
    return None


async def insert_one_row(conn: Conn, batch: Sequence[EventEnvelope]) -> None:
    await conn.executemany(
        "INSERT INTO effects (event_id, customer_id) VALUES ($1, $2)",
        [(e.event_id, e.customer_id) for e in batch],
    )


async def measure(
    name: str, handler: BatchHandler, bootstrap: str, server_url: str, count: int
) -> tuple[str, int, float]:
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    database = f"bench_{uuid.uuid4().hex[:8]}"
    await create_topics(bootstrap, [TopicSpec(topic, 12, {})])
    dsn = await create_database(server_url, database)
    apply_migrations(dsn, SERVICEKIT_MIGRATIONS)
    pool = await create_pool(dsn, max_size=4)
    await pool.execute("CREATE TABLE effects (event_id text, customer_id uuid)")
    producer = idempotent_producer(bootstrap, client_id="bench")
    await producer.start()
    await publish_in_order(producer, [record_of(e, topic) for e in events(count, 1000)])

    async def no_letters(letters: list[DeadLetter]) -> None:
        raise AssertionError(f"unexpected dead letters: {letters}")

    applied = 0
    first_batch_at = 0.0
    all_applied = asyncio.Event()

    async def counting(conn: Conn, batch: Sequence[EventEnvelope]) -> None:
        nonlocal applied, first_batch_at
        first_batch_at = first_batch_at or time.perf_counter()
        await handler(conn, batch)
        applied += len(batch)  # inside the transaction; counted once it commits below
        if applied >= count:
            all_applied.set()

    group = f"bench-{name}-{uuid.uuid4().hex[:6]}"
    applier = BatchApplier(pool, counting, "bench", group, no_letters)
    broker = KafkaBroker(bootstrap, logger=None)
    register_consumer(broker, applier, topic=topic, fetching=Fetching(max_records=500))
    await broker.start()
    await all_applied.wait()
    # From the first batch on: the group join before it is a one-off cost, not throughput.
    elapsed = time.perf_counter() - first_batch_at
    await broker.stop()
    await producer.stop()
    await pool.close()
    await drop_database(server_url, database)
    await delete_topics(bootstrap, [topic])
    return name, count, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    server_url = os.environ.get("DATABASE_URL")
    if not (bootstrap and server_url):
        endpoints = await ensure_up_async(names=["kafka", "postgres"])
        bootstrap, server_url = endpoints.kafka_bootstrap, endpoints.postgres_url
    rows = [
        await measure("no-op handler", noop, bootstrap, server_url, args.events),
        await measure(
            "insert one row per event", insert_one_row, bootstrap, server_url, args.events
        ),
    ]
    table = Table("handler", "events", "seconds", "events/s", title="consumer runtime, 1 process")
    for name, count, seconds in rows:
        table.add_row(name, str(count), f"{seconds:.2f}", f"{count / seconds:,.0f}")
    Console().print(table)
    Console().print(
        "batches of up to 500 events, one transaction each, idempotency by (account_id, event_id);"
        " time from the first batch to the commit of the last"
    )
    if args.json:
        figures = [
            {"handler": name, "events": n, "seconds": round(s, 3), "events_per_s": round(n / s, 1)}
            for name, n, s in rows
        ]
        args.json.write_text(json.dumps({"benchmark": "consumer", "rows": figures}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
