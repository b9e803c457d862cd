"""The broker's view of a group's lag, which the runtime's gauge and the benchmarks read, and
the gauge reported by one replica of a service at a time."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from crm_devstack.kafka_testing import commit_offsets, send_per_partition
from crm_servicekit.consumer_lag import OffsetsReader
from crm_servicekit.runtime_gauges import ConsumerLagReading


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


def reported_lag(service: str) -> dict[str, float]:
    """crm_consumer_lag of the service in this process, by partition."""
    return {
        sample.labels["partition"]: sample.value
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == "crm_consumer_lag" and sample.labels["service"] == service
    }


async def test_one_replica_reports_the_lag_and_another_takes_over_when_it_stops(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic(partitions=2)
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)
    service = f"lag-{uuid.uuid4().hex[:8]}"
    await send_per_partition(kafka_bootstrap, topic, {0: 4, 1: 2})
    await commit_offsets(kafka_bootstrap, service, {first: 3})
    replicas = [
        ConsumerLagReading(
            kafka_bootstrap, new_database, service=service, group=service, topic=topic
        )
        for _ in range(2)
    ]
    try:
        for replica in replicas:
            await replica()
        assert [replica.active for replica in replicas] == [True, False]
        assert reported_lag(service) == {"0": 1, "1": 2}
        await replicas[0].close()
        await commit_offsets(kafka_bootstrap, service, {first: 4, second: 1})
        await replicas[1]()
        assert replicas[1].active
        assert reported_lag(service) == {"0": 0, "1": 1}
    finally:
        for replica in replicas:
            await replica.close()
