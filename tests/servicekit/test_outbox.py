"""The transactional outbox and its relay against real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable

import asyncpg
import pytest

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations
from crm_servicekit.kafka import idempotent_producer
from crm_servicekit.outbox import OutboxRelay, enqueue

from .kafka_support import RelayProcess, eventually, message_sent, read_all

pytestmark = pytest.mark.integration


async def write_in_transactions(dsn: str, topic: str, events: list[EventEnvelope]) -> None:
    """The services' side: each event enqueued in its own committed transaction."""
    conn = await asyncpg.connect(dsn)
    try:
        for event in events:
            async with conn.transaction():
                await enqueue(conn, [event], topic)
    finally:
        await conn.close()


async def unsent(dsn: str) -> int:
    """Rows still to send: the relay deletes each once Kafka acknowledged it."""
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await conn.close()


def event_ids_on(found: list[tuple[bytes | None, bytes, int]]) -> list[str]:
    return [EventEnvelope.from_json(value).event_id for _, value, _ in found]


async def test_rows_committed_while_the_relay_was_dead_are_published_after_restart(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str]
) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    topic = new_topic(partitions=3)
    customer = uuid.uuid4()
    before = [message_sent(customer, n) for n in range(50)]
    after = [message_sent(customer, n) for n in range(50, 100)]
    relay = RelayProcess(new_database, kafka_bootstrap, "svc-" + uuid.uuid4().hex[:6])
    await relay.start()
    try:
        await write_in_transactions(new_database, topic, before)
        await eventually(lambda: unsent(new_database), lambda n: n == 0)
        await relay.kill()
        # Committed with the relay dead: between the database commit and the publish.
        await write_in_transactions(new_database, topic, after)
        assert await unsent(new_database) == len(after)
        await relay.start()
        await eventually(lambda: unsent(new_database), lambda n: n == 0)
    finally:
        await relay.stop()
    published = event_ids_on(await read_all(kafka_bootstrap, topic))
    # One customer, one partition: every event, in the order the transactions committed.
    assert published == [e.event_id for e in before + after]


async def test_two_relays_at_once_publish_each_row_once_in_order(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str]
) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    topic = new_topic(partitions=3)
    customers = [uuid.uuid4() for _ in range(6)]
    events = [message_sent(c, n) for n in range(50) for c in customers]
    producers = [idempotent_producer(kafka_bootstrap, client_id=f"relay-{i}") for i in range(2)]
    stop = asyncio.Event()
    relays = [
        OutboxRelay(dsn=new_database, producer=p, service="twins", idle_wait_s=0.1, batch_size=7)
        for p in producers
    ]
    for producer in producers:
        await producer.start()
    tasks = [asyncio.create_task(relay.run(stop)) for relay in relays]
    try:
        await write_in_transactions(new_database, topic, events)
        await eventually(lambda: unsent(new_database), lambda n: n == 0)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for producer in producers:
            await producer.stop()
    found = await read_all(kafka_bootstrap, topic)
    counts = Counter(event_ids_on(found))
    assert set(counts) == {e.event_id for e in events}
    assert set(counts.values()) == {1}
    for customer in customers:
        mine = [e.event_id for e in events if e.customer_id == customer]
        on_topic = [i for i in event_ids_on(found) if i in set(mine)]
        assert on_topic == mine


async def test_the_same_deterministic_event_is_enqueued_once(new_database: str) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    event = message_sent(uuid.uuid4(), 1)
    conn = await asyncpg.connect(new_database)
    try:
        assert await enqueue(conn, [event]) == 1
        assert await enqueue(conn, [event]) == 0
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
    finally:
        await conn.close()
