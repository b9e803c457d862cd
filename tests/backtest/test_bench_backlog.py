"""bench.system_cpu's end of a measuring window: the consumer groups' backlog on a real broker."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

from aiokafka import TopicPartition

from bench.system_backlog import BacklogWatch
from crm_devstack.kafka_testing import commit_offsets, send_per_partition


async def test_drained_only_when_every_reading_group_has_committed_the_end(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic(partitions=2)
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)
    reader, never_reads = (f"bench-{uuid.uuid4().hex[:8]}" for _ in range(2))
    await send_per_partition(kafka_bootstrap, topic, {0: 4, 1: 2})
    looks = itertools.count()
    async with BacklogWatch(kafka_bootstrap, topic, [reader, never_reads]) as watch:
        nobody = await watch.look()
        assert nobody.ends == {first: 4, second: 2}
        assert nobody.lag == {}  # a group without offsets reads nothing here
        await commit_offsets(kafka_bootstrap, reader, {first: 3})
        behind = await watch.look()
        assert behind.lag == {reader: 1 + 2}  # a partition it never committed counts whole
        assert await watch.drained(2.0, lambda: next(looks)) is None
        await commit_offsets(kafka_bootstrap, reader, {first: 4, second: 2})
        drained = await watch.drained(60.0, lambda: next(looks))
    assert drained is not None
    assert drained.backlog.lag == {reader: 0}
    # The sample kept is the first look of the calm run, not the last of the confirmations.
    assert drained.sample < next(looks) - 1
