"""Consumer lag from the broker's view: a group's committed offsets against the ends of a
topic's partitions. The one reader of a group's place on a topic: the runtime's lag gauge,
the operator's commands (consumer_groups, crm rebuild) and the benchmarks all read through it.

What the group has committed is what its consumers have applied (they commit a batch only
once it is applied), so this lag shows a consumer that is stuck, paused or gone just as well
as one that is busy; the consumer's own position would not.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    CoordinatorLoadInProgressError,
    GroupCoordinatorNotAvailableError,
    NotCoordinatorForGroupError,
    for_code,
)
from aiokafka.structs import OffsetAndMetadata
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from crm_servicekit.kafka import topic_partitions

# A fresh broker answers "coordinator not available" until its offsets topic exists, a broker
# answers "loading" while it reads it, and the coordinator moves when a broker leaves: all
# pass, so they are worth asking again.
COORDINATOR_NOT_READY = (
    GroupCoordinatorNotAvailableError,
    CoordinatorLoadInProgressError,
    NotCoordinatorForGroupError,
)
# The one retry policy of group questions: ask again while the coordinator is not ready
# (CI's first run on a fresh broker met it), for as long as a broker takes to elect one.
# A caller on a timer bounds it with its own timeout.
until_the_coordinator_answers = retry(
    retry=retry_if_exception_type(COORDINATOR_NOT_READY),
    wait=wait_fixed(0.2),
    stop=stop_after_delay(30),
    reraise=True,
)


@dataclass(frozen=True)
class Member:
    member_id: str
    client_id: str
    host: str


@dataclass(frozen=True)
class TopicEnds:
    """Where each partition of a topic starts and ends now."""

    starts: dict[TopicPartition, int]
    ends: dict[TopicPartition, int]


@dataclass(frozen=True)
class GroupOffsets:
    """A group's committed offsets on a topic's partitions, beside the partitions' ends."""

    topic: TopicEnds
    # Only the partitions where the group committed something.
    committed: dict[TopicPartition, int]

    def lag(self) -> dict[TopicPartition, int]:
        """Messages per partition the group has yet to commit; where it committed nothing it
        starts from the partition's start (the consumers' auto_offset_reset is earliest)."""
        return {
            tp: max(0, end - self.committed.get(tp, self.topic.starts.get(tp, 0)))
            for tp, end in self.topic.ends.items()
        }


class OffsetsReader:
    """Reads ends and committed offsets with clients of its own (an admin client, and a
    consumer outside any group), so reading never joins or disturbs a group."""

    def __init__(self, bootstrap: str, *, client_id: str = "crm-offsets") -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
        self._ends = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, client_id=client_id
        )

    async def start(self) -> None:
        await self._admin.start()
        try:
            await self._ends.start()
        except BaseException:
            await self._admin.close()
            raise

    async def close(self) -> None:
        await self._ends.stop()
        await self._admin.close()

    async def __aenter__(self) -> OffsetsReader:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def topic_ends(self, topic: str) -> TopicEnds:
        partitions = await topic_partitions(self._ends, topic)
        starts = await self._ends.beginning_offsets(partitions)
        ends = await self._ends.end_offsets(partitions)
        return TopicEnds(starts=dict(starts), ends=dict(ends))

    @until_the_coordinator_answers
    async def committed(
        self, group: str, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The group's committed offset of each partition where it has one."""
        asked: dict[
            TopicPartition, OffsetAndMetadata
        ] = await self._admin.list_consumer_group_offsets(group, partitions=partitions)
        # -1: the group has no offset there (for a group that does not exist, anywhere).
        return {tp: meta.offset for tp, meta in asked.items() if meta.offset >= 0}

    async def group_offsets(self, group: str, topic: str) -> GroupOffsets:
        ends = await self.topic_ends(topic)
        return GroupOffsets(topic=ends, committed=await self.committed(group, list(ends.ends)))

    @until_the_coordinator_answers
    async def members(self, group: str) -> list[Member]:
        """The group's live members (processes consuming in it now); none when it is empty."""
        answers = await self._admin.describe_consumer_groups([group])
        groups = [found for answer in answers for found in answer.to_object()["groups"]]
        for found in groups:
            # An error here must not read as "no members": a rebuild would then empty the
            # store of a running service.
            if found["error_code"]:
                raise for_code(found["error_code"])(f"describing group {group!r}")
        return [
            Member(member["member_id"], member["client_id"], member["client_host"])
            for found in groups
            for member in found["members"]
        ]
