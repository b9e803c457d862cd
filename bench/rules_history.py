"""What one new event costs the rules consumer, by the length of the customer's history.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    uv run python -m bench.rules_history [--lengths 10 100 500] [--customers 20] [--kept 0]

On a fresh database (removed after), for each history length N: `--customers` customers are
given N facts each (the method's journey over and over, in batches of 100, through the
consumer's own batch handler), then each gets one more fact, later than all of theirs, in a
transaction of its own as the consumer applies a batch of one. Prints the mean µs per event for
each length: the figure that must not grow with N.

`--kept K` replaces the consumer's cache of replays by one of K customers: with 0 nothing is
kept in memory, so every batch is a miss (a customer another replica applied last, or seen
before a restart) and the figure is what a miss costs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

import asyncpg

from crm_rules.consumer import handler
from crm_rules.main import MIGRATIONS
from crm_rules.service.events import apply_events
from crm_rules.service.replays import KeptReplays
from crm_rules.settings import RulesSettings
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.clock import FixedClock
from crm_servicekit.connection import Conn
from crm_servicekit.db import apply_migrations_in_thread, create_pool, plain_postgres_dsn
from crm_servicekit.runtime import Resources
from crm_servicekit.settings import with_database_name

from .rules import JOURNEY, T0, envelope

BATCH = 100


def facts(customer: uuid.UUID, count: int, first: int = 0) -> list[EventEnvelope]:
    """The journey repeated, a fresh day for each round, `count` facts from number `first`."""
    events = []
    for n in range(first, first + count):
        name, hours, props = JOURNEY[n % len(JOURNEY)]
        at = T0 + timedelta(days=7 * (n // len(JOURNEY)), hours=hours)
        events.append(envelope(name, at, customer, props))
    return events


async def apply(pool: asyncpg.Pool, handle: BatchHandler, events: list[EventEnvelope]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await handle(conn, events)


def consumer_handle(resources: Resources, kept: int | None) -> BatchHandler:
    """The consumer's own batch handler, or the same with a cache of `kept` customers."""
    if kept is None:
        return handler(resources)
    replays = KeptReplays(size=kept)

    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        await apply_events(
            conn,
            events,
            accounts=resources.accounts,
            topic=resources.settings.events_topic,
            received_at=resources.clock.now(),
            kept=replays,
        )

    return handle


async def per_event_us(
    pool: asyncpg.Pool, handle: BatchHandler, length: int, customers: int
) -> list[float]:
    people = [uuid.uuid4() for _ in range(customers)]
    for customer in people:
        history = facts(customer, length)
        for start in range(0, length, BATCH):
            await apply(pool, handle, history[start : start + BATCH])
    seconds = []
    for customer in people:
        one = facts(customer, 1, first=length)
        started = time.perf_counter()
        await apply(pool, handle, one)
        seconds.append(time.perf_counter() - started)
    return [s * 1e6 for s in seconds]


async def main(lengths: list[int], customers: int, kept: int | None) -> None:
    base = RulesSettings()
    name = f"rules_history_bench_{uuid.uuid4().hex[:8]}"
    server = plain_postgres_dsn(with_database_name(str(base.database_url), "postgres"))
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        dsn = with_database_name(server, name)
        await apply_migrations_in_thread(dsn, MIGRATIONS)
        pool = await create_pool(dsn, max_size=1)
        resources = Resources(
            settings=base,
            accounts=Accounts([Account(account_id="bench")]),
            clock=FixedClock(T0),
            pool=pool,
            producer=cast(Any, None),  # the handler only writes the outbox
            redis=None,
            stop=asyncio.Event(),
        )
        handle = consumer_handle(resources, kept)
        cache = "the consumer's cache" if kept is None else f"a cache of {kept}"
        try:
            await per_event_us(pool, handle, 10, 3)  # warm-up: the first statements prepare
            for length in lengths:
                us = await per_event_us(pool, handle, length, customers)
                print(
                    f"history {length:>4} facts: one new in-order event"
                    f" mean {statistics.fmean(us):8.0f} µs, median {statistics.median(us):8.0f}"
                    f" µs ({customers} customers, {cache})",
                    flush=True,
                )
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument(
        "--kept", type=int, default=None, help="customers whose replays are kept (0: none)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.lengths, args.customers, args.kept))
