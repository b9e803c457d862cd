"""A consumer process for the runtime's crash tests: each event it applies adds one effect row.

Run as a separate process so a test can SIGKILL it mid-batch:
    python effects_app.py DSN BOOTSTRAP TOPIC GROUP [--fail-on EVENT_ID]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Sequence

import structlog
from faststream.kafka import KafkaBroker

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchApplier, RetryPolicy
from crm_servicekit.connection import Conn
from crm_servicekit.consumer import Fetching, register_consumer
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, create_pool
from crm_servicekit.dlq import DeadLetter, send_dead_letters
from crm_servicekit.kafka import idempotent_producer

EFFECTS_TABLE = """
CREATE TABLE IF NOT EXISTS effects (
    event_id text NOT NULL, customer_id uuid, applied_at timestamptz DEFAULT now()
)"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    for name in ("dsn", "bootstrap", "topic", "group", "dlq_topic"):
        parser.add_argument(name)
    parser.add_argument("--fail-on", default=None, help="event id the handler always fails on")
    parser.add_argument("--max-records", type=int, default=100)
    parser.add_argument(
        "--work-s", type=float, default=0.0, help="time each batch spends inside its transaction"
    )
    return parser.parse_args()


async def main() -> None:
    args = parse_args()
    apply_migrations(args.dsn, SERVICEKIT_MIGRATIONS)
    pool = await create_pool(args.dsn)
    await pool.execute(EFFECTS_TABLE)
    producer = idempotent_producer(args.bootstrap, client_id="effects-dlq")
    await producer.start()

    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        for event in events:
            if event.event_id == args.fail_on:
                raise RuntimeError(f"bug triggered by {event.event_id}")
        await conn.executemany(
            "INSERT INTO effects (event_id, customer_id) VALUES ($1, $2)",
            [(e.event_id, e.customer_id) for e in events],
        )
        if args.work_s:
            # Stands for real work, so that a kill lands inside an open transaction.
            await asyncio.sleep(args.work_s)

    async def dead_letter(letters: list[DeadLetter]) -> None:
        await send_dead_letters(producer, letters, service="effects", topic=args.dlq_topic)

    applier = BatchApplier(
        pool=pool,
        handler=handle,
        service="effects",
        group_id=args.group,
        dead_letter=dead_letter,
        retry=RetryPolicy(max_attempts=3, first_backoff_s=0.05, max_backoff_s=1.0),
    )
    broker = KafkaBroker(args.bootstrap)
    register_consumer(
        broker, applier, topic=args.topic, fetching=Fetching(max_records=args.max_records)
    )
    # The tests read this process's stdout only up to what they wait for (a warning at most):
    # a line per applied event would fill the pipe and stop the process mid-test.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await broker.start()
    print("ready", flush=True)
    await stop.wait()
    await broker.stop()
    await producer.stop()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
