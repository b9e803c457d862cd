"""The broker's view of a group's lag, which the runtime's gauge and the benchmarks read."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from aiokafka import TopicPartition

from crm_devstack.kafka_testing import commit_offsets, send_per_partition
from crm_servicekit.consumer_lag import OffsetsReader


async def test_lag_counts_what_the_group_has_not_committed(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic(partitions=2)
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)
    group, never_read = (f"lag-{uuid.uuid4().hex[:8]}" for _ in range(2))
    await send_per_partition(kafka_bootstrap, topic, {0: 4, 1: 2})
    await commit_offsets(kafka_bootstrap, group, {first: 3})
    async with OffsetsReader(kafka_bootstrap) as reader:
        offsets = await reader.group_offsets(group, topic)
        nobody = await reader.group_offsets(never_read, topic)
    assert offsets.topic.ends == {first: 4, second: 2}
    assert offsets.committed == {first: 3}
    # Where the group committed nothing it would read from the partition's start.
    assert offsets.lag() == {first: 1, second: 2}
    assert nobody.committed == {}
    assert nobody.lag() == {first: 4, second: 2}
