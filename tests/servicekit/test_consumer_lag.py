"""The broker's view of a group's lag, which the runtime's gauge and the benchmarks read, and
the gauge reported by one replica of a service at a time."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import GroupAuthorizationFailedError, GroupCoordinatorNotAvailableError
from aiokafka.structs import OffsetAndMetadata
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


class CoordinatorElectedAfter:
    """An admin client whose broker has no group coordinator for its first `not_ready` answers."""

    def __init__(self, not_ready: int, then: Exception | None = None) -> None:
        self.not_ready, self.then, self.asked = not_ready, then, 0

    async def list_consumer_group_offsets(
        self, group: str, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        self.asked += 1
        if self.asked <= self.not_ready:
            raise GroupCoordinatorNotAvailableError()
        if self.then is not None:
            raise self.then
        return {tp: OffsetAndMetadata(7, "") for tp in partitions}


@contextlib.asynccontextmanager
async def reader_asking(fake: CoordinatorElectedAfter) -> AsyncIterator[OffsetsReader]:
    """A reader, never started, whose admin client is the fake."""
    reader = OffsetsReader("127.0.0.1:9")
    admin, reader._admin = reader._admin, fake  # type: ignore[assignment]
    try:
        yield reader
    finally:
        reader._admin = admin
        await reader.close()


async def test_committed_offsets_are_asked_again_until_the_coordinator_answers() -> None:
    partition, fake = TopicPartition("t", 0), CoordinatorElectedAfter(not_ready=2)
    async with reader_asking(fake) as reader:
        assert await reader.committed("g", [partition]) == {partition: 7}
    assert fake.asked == 3


async def test_other_errors_are_not_asked_again() -> None:
    fake = CoordinatorElectedAfter(not_ready=1, then=GroupAuthorizationFailedError())
    async with reader_asking(fake) as reader:
        with pytest.raises(GroupAuthorizationFailedError):
            await reader.committed("g", [TopicPartition("t", 0)])
    assert fake.asked == 2
