"""bench.system_cpu's end of a measuring window: the consumer groups' backlog on a real broker."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.system_backlog import BacklogWatch


async def _send(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for partition, count in per_partition.items():
            for n in range(count):
                await producer.send_and_wait(topic, f"m{n}".encode(), partition=partition)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def test_drained_only_when_every_reading_group_has_committed_the_end(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic(partitions=2)
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)
    reader, never_reads = (f"bench-{uuid.uuid4().hex[:8]}" for _ in range(2))
    await _send(kafka_bootstrap, topic, {0: 4, 1: 2})
    looks = itertools.count()
    async with BacklogWatch(kafka_bootstrap, topic, [reader, never_reads]) as watch:
        nobody = await watch.look()
        assert nobody.ends == {first: 4, second: 2}
        assert nobody.lag == {}  # a group without offsets reads nothing here
        await _commit(kafka_bootstrap, reader, {first: 3})
        behind = await watch.look()
        assert behind.lag == {reader: 1 + 2}  # a partition it never committed counts whole
        assert await watch.drained(2.0, lambda: next(looks)) is None
        await _commit(kafka_bootstrap, reader, {first: 4, second: 2})
        drained = await watch.drained(60.0, lambda: next(looks))
    assert drained is not None
    assert drained.backlog.lag == {reader: 0}
    # The sample kept is the first look of the calm run, not the last of the confirmations.
    assert drained.sample < next(looks) - 1
