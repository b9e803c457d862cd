"""Offsets of batches with nothing for this service are committed later, not one by one.

A consumer that needs few of the topic's events (ingest's deletion consumer, a service that
reads a handful of names) sees most of its batches skipped whole, by their event names, with
no transaction. Committing each such batch's offsets costs a round trip to the group
coordinator and its CPU in every consumer (py-spy: 1-3% of a consumer's samples are offset
commits under single webhooks), while nothing depends on them: a skipped message read again
after a crash or a rebalance is skipped again. So such a batch is acknowledged only when its
consumer last committed more than `SKIPPED_COMMIT_DELAY_S` ago; otherwise the next committed
batch (whose commit takes every consumed position) covers it, or the next empty poll, which
means every record handed out was handled, commits it (batch_polling.py). Consumer lag, which
KEDA scales on, so trails by at most that delay or one poll. A batch that applied, claimed
or dead-lettered anything is committed at once, as always.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, Protocol
from weakref import WeakKeyDictionary

import structlog
from aiokafka.errors import KafkaError

log = structlog.get_logger(__name__)

SKIPPED_COMMIT_DELAY_S: Final = 1.0


class _Committing(Protocol):
    async def commit(self) -> None: ...


class SkippedCommits:
    """Per consumer (aiokafka's, as FastStream's messages hold it): when it last committed,
    and whether positions past that wait to be committed."""

    def __init__(
        self, delay_s: float = SKIPPED_COMMIT_DELAY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.delay_s = delay_s
        self.clock = clock
        self._last: WeakKeyDictionary[object, float] = WeakKeyDictionary()
        self._waiting: WeakKeyDictionary[object, bool] = WeakKeyDictionary()

    def may_wait(self, consumer: object) -> bool:
        """For a batch with nothing for this service: True when its commit can wait (it is
        then noted as waiting); False when it is due, and then the caller commits."""
        last = self._last.get(consumer)
        if last is None or self.clock() - last >= self.delay_s:
            return False
        self._waiting[consumer] = True
        return True

    def committed(self, consumer: object) -> None:
        """The consumer just committed every position it handed out."""
        self._last[consumer] = self.clock()
        self._waiting.pop(consumer, None)

    async def commit_waiting(self, consumer: _Committing) -> None:
        """After an empty poll (every record handed out was handled): commit what waits."""
        if not self._waiting.get(consumer):
            return
        try:
            await consumer.commit()
        except KafkaError as exc:
            # A rebalance took partitions meanwhile: their new owner skips those messages
            # again, and the next commit takes what this consumer still holds.
            log.warning("commit of skipped batches failed", error=repr(exc))
            self._waiting.pop(consumer, None)
            return
        self.committed(consumer)


# The one the runtime's consumers share: keyed by consumer, so any number of them.
SKIPPED_COMMITS: Final = SkippedCommits()
