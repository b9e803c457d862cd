"""What one new event costs the rules consumer, by the length of the customer's history.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
    uv run python -m bench.rules_history [--lengths 10 100 500] [--customers 20] [--kept 0] \
        [--late]

On a fresh database (removed after), for each history length N: `--customers` customers are
given N facts each (the method's journey over and over, in batches of 100, through the
consumer's own batch handler), then each gets one more fact, later than all of theirs, in a
transaction of its own as the consumer applies a batch of one. Prints the mean µs per event for
each length: the figure that must not grow with N. Beside that wall time (which includes each
commit's fsync), the CPU per event: this process's (the handler) and that of the PostgreSQL
backend serving its one connection (read from /proc, so only with the server on this machine).

`--late` makes each customer's one more fact late (an hour before their latest): it cannot go
on top of their replay, so their whole history is read and re-folded, as for any event that
arrives out of order.

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
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import asyncpg
import psutil

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


def facts(
    customer: uuid.UUID, count: int, first: int = 0, earlier: timedelta = timedelta(0)
) -> list[EventEnvelope]:
    """The journey repeated, a fresh day for each round, `count` facts from number `first`,
    each stamped `earlier` than its place in the journey."""
    events = []
    for n in range(first, first + count):
        name, hours, props = JOURNEY[n % len(JOURNEY)]
        at = T0 + timedelta(days=7 * (n // len(JOURNEY)), hours=hours)
        events.append(envelope(name, at - earlier, customer, props))
    return events


def one_more(customer: uuid.UUID, length: int, late: bool) -> list[EventEnvelope]:
    """The fact after a history of `length`: on top of it, or an hour before its latest."""
    if not late:
        return facts(customer, 1, first=length)
    latest = facts(customer, 1, first=length - 1)[0].timestamp
    following = facts(customer, 1, first=length)[0].timestamp
    return facts(customer, 1, first=length, earlier=following - latest + timedelta(hours=1))


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


@dataclass(frozen=True)
class PerEvent:
    wall_us: list[float]
    handler_cpu_us: float  # this process's CPU per event
    backend_cpu_us: float | None  # its PostgreSQL backend's (None: not on this machine)


async def backend(pool: asyncpg.Pool) -> psutil.Process | None:
    """The PostgreSQL backend of the pool's one connection, if it runs on this machine."""
    async with pool.acquire() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid()")
    try:
        process = psutil.Process(pid)
        return process if "postgres" in process.name() else None
    except psutil.Error:
        return None


def cpu_seconds(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return times.user + times.system


async def per_event(
    pool: asyncpg.Pool, handle: BatchHandler, length: int, customers: int, late: bool
) -> PerEvent:
    people = [uuid.uuid4() for _ in range(customers)]
    for customer in people:
        history = facts(customer, length)
        for start in range(0, length, BATCH):
            await apply(pool, handle, history[start : start + BATCH])
    server = await backend(pool)
    seconds = []
    own, served = time.process_time(), cpu_seconds(server)
    for customer in people:
        one = one_more(customer, length, late)
        started = time.perf_counter()
        await apply(pool, handle, one)
        seconds.append(time.perf_counter() - started)
    own, served = time.process_time() - own, cpu_seconds(server) - served
    return PerEvent(
        [s * 1e6 for s in seconds],
        own * 1e6 / customers,
        served * 1e6 / customers if server is not None else None,
    )


async def main(lengths: list[int], customers: int, kept: int | None, late: bool) -> None:
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
            await per_event(pool, handle, 10, 3, late)  # warm-up: the first statements prepare
            for length in lengths:
                measured = await per_event(pool, handle, length, customers, late)
                us = measured.wall_us
                backend_cpu = measured.backend_cpu_us
                print(
                    f"history {length:>4} facts: one new {'late' if late else 'in-order'} event"
                    f" mean {statistics.fmean(us):8.0f} µs, median {statistics.median(us):8.0f}"
                    f" µs; CPU {measured.handler_cpu_us:6.0f} µs handler,"
                    f" {'-' if backend_cpu is None else f'{backend_cpu:6.0f}'} µs PostgreSQL"
                    f" ({customers} customers, {cache})",
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
    parser.add_argument(
        "--late", action="store_true", help="the new fact is late: the history is re-folded"
    )
    args = parser.parse_args()
    asyncio.run(main(args.lengths, args.customers, args.kept, args.late))
