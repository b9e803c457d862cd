"""crm_servicekit.consumer_groups against real Kafka: members, committed offsets and progress,
and the broker refusing to move a group that has a member."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError

from crm_servicekit.consumer_groups import GroupOffsets
from crm_servicekit.kafka import OutgoingRecord

from .kafka_support import eventually, produce


async def test_a_group_with_a_member_is_seen_and_not_moved_then_moved_once_empty(
    kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic, group = new_topic(partitions=2), f"groups-{uuid.uuid4().hex[:8]}"
    records = [OutgoingRecord(topic, f"k{n}".encode(), b"{}", []) for n in range(10)]
    await produce(kafka_bootstrap, records)
    member = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await member.start()
    try:
        async with GroupOffsets(kafka_bootstrap, topic, group) as offsets:
            ends = await offsets.ends()
            assert sum(ends.values()) == 10
            read = 0
            while read < 10:
                read += sum(
                    len(batch) for batch in (await member.getmany(timeout_ms=1000)).values()
                )
            await member.commit()
            members = await eventually(offsets.members, bool)
            assert len(members) == 1
            progress = await offsets.progress(ends)
            assert progress.caught_up
            assert progress.done == 10
            with pytest.raises(CommitFailedError):
                await offsets.rewind()
            assert await offsets.committed() == ends
    finally:
        await member.stop()
    async with GroupOffsets(kafka_bootstrap, topic, group) as offsets:
        assert await offsets.members() == []
        assert set((await offsets.rewind()).values()) == {0}
        progress = await offsets.progress(ends)
        assert progress.remaining == 10
        assert not progress.caught_up
