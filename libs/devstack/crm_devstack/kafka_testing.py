"""Test helpers every suite shares: publish events to a test topic, read them back, poll,
and put a consumer group at given offsets.

They live in a package (tests/ is not one) so that each suite imports them instead of
carrying a copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of, topic_partitions

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    within_s: float = 120.0,
    interval: float = 0.2,
) -> T:
    """Poll until done(probe()) holds; fail with the last value after a generous timeout."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        value = await probe()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached in {within_s}s; last value: {value!r}")
        await asyncio.sleep(interval)


async def produce_events(bootstrap: str, events: Sequence[EventEnvelope], topic: str) -> None:
    """Publish events in order, keyed and with headers as the services publish them."""
    producer = idempotent_producer(bootstrap, client_id="tests")
    await producer.start()
    try:
        await publish_in_order(producer, [record_of(event, topic) for event in events])
    finally:
        await producer.stop()


async def send_per_partition(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    """Send {partition: count} plain messages (m0, m1, ...) to the topic's partitions."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for partition, count in per_partition.items():
            for n in range(count):
                await producer.send_and_wait(topic, f"m{n}".encode(), partition=partition)
    finally:
        await producer.stop()


async def commit_offsets(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commit these offsets for the group, from outside it (the group must have no members)."""
    # Without auto-commit: stopping would otherwise commit the position the fetcher reset to
    # (the partition's end) over the offsets committed here; CI saw 4 for 3.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def read_records(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on a topic, from the start to its current end (partition by partition)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[ConsumerRecord[bytes, bytes]] = []
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                found += batch.get(tp, [])
        return found
    finally:
        await consumer.stop()


async def read_events(bootstrap: str, topic: str) -> list[EventEnvelope]:
    """Every event on a topic, from the start to its current end (partition by partition)."""
    return [EventEnvelope.from_json(r.value) for r in await read_records(bootstrap, topic)]
