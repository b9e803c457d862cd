"""When the system has worked off what it was sent: every service's consumer group has
committed the end of every partition of the events topic, and stays there.

A service commits a batch only once it is applied, so a committed end means every event in
the topic so far is applied. Ingest publishes through an outbox and services emit events of
their own as they apply, so the end can still move after one look at zero lag: the backlog
counts as drained only when the ends stood still and the lag was zero on several looks in a
row.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiokafka import TopicPartition

from crm_devstack.gateway_routes import SERVICE_PORTS
from crm_schemas.topics import EVENTS_TOPIC
from crm_servicekit.consumer_lag import GroupOffsets, OffsetsReader

T = TypeVar("T")
LOOKS_IN_A_ROW = 3
LOOK_EVERY_S = 0.5


@dataclass(frozen=True)
class Backlog:
    ends: dict[TopicPartition, int]
    lag: dict[str, int]  # consumer group → messages not yet committed

    @property
    def total(self) -> int:
        return sum(self.lag.values())


class BacklogWatch:
    """Reads the services' consumer lag on the events topic from the broker."""

    def __init__(
        self,
        bootstrap: str,
        topic: str = EVENTS_TOPIC,
        groups: Sequence[str] = tuple(SERVICE_PORTS),
    ) -> None:
        self._topic, self._groups = topic, tuple(groups)
        self._offsets = OffsetsReader(bootstrap, client_id="bench-backlog")

    async def __aenter__(self) -> BacklogWatch:
        await self._offsets.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._offsets.close()

    async def look(self) -> Backlog:
        # The ends once for every group: a look compares all groups with the same ends.
        topic = await self._offsets.topic_ends(self._topic)
        lag = {}
        for group in self._groups:
            offsets = GroupOffsets(topic, await self._offsets.committed(group, list(topic.ends)))
            if not offsets.committed:
                continue  # this service reads no events (or has not read any yet)
            lag[group] = sum(offsets.lag().values())
        return Backlog(ends=topic.ends, lag=lag)

    async def drained(self, timeout_s: float, sample: Callable[[], T]) -> Drained[T] | None:
        """Polls until drained (never assumed from time passing); None if not within
        timeout_s. `sample` is taken at every look, and the one of the first look of the
        calm run is kept: the moment the backlog was found drained."""
        deadline = time.monotonic() + timeout_s
        calm: list[Drained[T]] = []
        previous: Backlog | None = None
        while time.monotonic() < deadline:
            taken, at = sample(), time.monotonic()
            current = await self.look()
            still = previous is not None and previous.ends == current.ends
            if current.total == 0 and (still or not calm):
                calm.append(Drained(at, taken, current))
            else:
                calm = []
            if len(calm) >= LOOKS_IN_A_ROW:
                return calm[0]
            previous = current
            await asyncio.sleep(LOOK_EVERY_S)
        return None


def messages_between(
    before: Mapping[TopicPartition, int], after: Mapping[TopicPartition, int]
) -> int:
    """Messages that reached the topic between two readings of its end offsets, summed over
    partitions (a partition absent from the first reading counts from its start)."""
    return sum(end - before.get(tp, 0) for tp, end in after.items())


@dataclass(frozen=True)
class Drained(Generic[T]):
    at: float  # time.monotonic() of the look that first found it drained
    sample: T
    backlog: Backlog
