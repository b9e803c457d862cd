"""A consumer group as the broker sees it: its live members, its committed offsets against the
topic's ends, and moving it back to the topic's beginning (operator commands read this)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

from aiokafka import AIOKafkaConsumer, TopicPartition

from crm_servicekit.consumer_lag import Member, OffsetsReader


@dataclass(frozen=True)
class Progress:
    """How far a group's committed offsets are towards fixed ends of a topic."""

    ends: Mapping[TopicPartition, int]
    committed: Mapping[TopicPartition, int]

    @property
    def remaining(self) -> int:
        return sum(max(end - self.committed.get(tp, 0), 0) for tp, end in self.ends.items())

    @property
    def done(self) -> int:
        return sum(min(self.committed.get(tp, 0), end) for tp, end in self.ends.items())

    @property
    def caught_up(self) -> bool:
        return self.remaining == 0


class GroupOffsets:
    """Reads and resets one consumer group's place on one topic; an async context manager."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self.topic, self.group = topic, group
        self._offsets = OffsetsReader(
            bootstrap, client_id=f"crm-group-reader-{uuid.uuid4().hex[:8]}"
        )
        self._bootstrap = bootstrap

    async def __aenter__(self) -> GroupOffsets:
        await self._offsets.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._offsets.close()

    async def ends(self) -> dict[TopicPartition, int]:
        """The offset the next message of each partition will get."""
        return (await self._offsets.topic_ends(self.topic)).ends

    async def beginnings(self) -> dict[TopicPartition, int]:
        return (await self._offsets.topic_ends(self.topic)).starts

    async def members(self) -> list[Member]:
        """The group's live members (processes consuming in it now); none when it is empty."""
        return await self._offsets.members(self.group)

    async def committed(self) -> dict[TopicPartition, int]:
        """The group's committed offset per partition of the topic (absent: none committed)."""
        return await self._offsets.committed(self.group, list(await self.ends()))

    async def progress(self, ends: Mapping[TopicPartition, int]) -> Progress:
        return Progress(ends=dict(ends), committed=await self.committed())

    async def rewind(self) -> dict[TopicPartition, int]:
        """Commit the topic's beginning for the group, so its next member starts there.

        The broker takes a commit from outside the group only while the group has no members:
        a running consumer makes this fail rather than be moved under its feet.
        """
        beginnings = await self.beginnings()
        committer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self.group,
            enable_auto_commit=False,
            client_id=f"crm-group-rewind-{uuid.uuid4().hex[:8]}",
        )
        await committer.start()
        try:
            committer.assign(list(beginnings))
            await committer.commit(beginnings)
        finally:
            await committer.stop()
        return beginnings
