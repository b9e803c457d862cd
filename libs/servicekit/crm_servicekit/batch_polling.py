"""FastStream's Kafka batch subscriber, without the nap after an empty poll.

FastStream's `BatchSubscriber.get_msg` asks aiokafka for records, waiting up to
`batch_timeout_ms` for a first one, and when none came it sleeps `batch_timeout_ms` again
before the next poll. An event that reaches an idle consumer during that sleep waits for it
to end: up to 200 ms with the default, measured as a p90 of 136-212 ms from a fact's publish
to the consumer reading it at 2 events/s. A short timeout bounds the wait but still adds
up to that much to a message after a gap (bench.stats' event -> ticker p99 was 30-33 ms
with 20 ms, 13-19 ms without the sleep). Without it, a poll simply waits for the next record,
however long the timeout, and the consume loop polls again at once.
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING

from faststream.kafka.subscriber.usecase import BatchSubscriber

from crm_servicekit.skipped_commits import SKIPPED_COMMITS

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer, ConsumerRecord


class BatchSubscriberWithoutNap(BatchSubscriber):
    __slots__ = ()

    async def get_msg(self, consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord, ...]:
        # No sleep after an empty poll: getmany itself waited batch_timeout_ms for a record.
        messages = await consumer.getmany(
            timeout_ms=self.batch_timeout_ms, max_records=self.max_records
        )
        if not messages:
            # Every record handed out was handled: what skipped batches left uncommitted is
            # committed now (skipped_commits.py).
            await SKIPPED_COMMITS.commit_waiting(consumer)
        return tuple(chain(*messages.values()))


def without_nap(subscriber: object) -> None:
    """Make a FastStream batch subscriber poll without sleeping after an empty poll.

    It swaps the instance's class for a subclass that adds no state (both use __slots__);
    tests/servicekit/test_batch_polling.py holds this to the FastStream version installed.
    """
    if type(subscriber) is not BatchSubscriber:
        raise TypeError(f"expected FastStream's BatchSubscriber, got {type(subscriber).__name__}")
    subscriber.__class__ = BatchSubscriberWithoutNap
