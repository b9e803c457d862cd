"""The consumer runtime: a FastStream batch subscriber that commits only what is applied.

Each process takes one batch at a time (FastStream's batch subscriber, aiokafka's getmany
underneath), hands it to a BatchApplier (one transaction, idempotent, DLQ for what cannot
be applied) and only then commits the offsets; a batch with nothing for the service commits
them later (skipped_commits.py). Parallelism comes from more processes in
the consumer group, never from tasks inside one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from crm_schemas.topics import EVENTS_TOPIC
from crm_servicekit.batch_apply import BatchApplier
from crm_servicekit.batch_polling import without_nap
from crm_servicekit.delivery import Delivery
from crm_servicekit.skipped_commits import SKIPPED_COMMITS

log = structlog.get_logger(__name__)

# Long enough to hold a partition through a database outage of several minutes: a batch
# retried in the handler does not poll, and exceeding this would trigger a rebalance
# (harmless for correctness, since redelivered events are de-duplicated, but noisy).
MAX_POLL_INTERVAL_MS = 15 * 60 * 1000


async def _undecoded(message: StreamMessage[Any]) -> Any:
    """Leave bodies as bytes: the runtime skips by headers before decoding anything."""
    return message.body


@dataclass(frozen=True)
class Fetching:
    """How a consumer takes its batches: at most `max_records`, and how long the broker may
    hold a fetch to gather `fetch_min_bytes`.

    Each batch costs a transaction, a Kafka fetch, an offset commit and a relay round
    whatever its size (about 5 ms of CPU, bench.consumer_floor), so a sparse stream is cheap
    only in big batches. Answering as soon as anything is there (aiokafka's default, 1 byte)
    hands a consumer one message per batch: webhooks arriving one at a time cost 41-49 ms
    of system CPU per event that way. By default the broker holds each fetch up to 250 ms
    unless 256 KiB (about 330 events) wait: against 100 ms and 64 KiB, the consumers' floor
    per message at 1,000 messages/s fell by a quarter and single webhooks cost 16-50% less
    system CPU at concurrency 1 and 16 (docs/benchmarks.md, "Seventh sitting"). Under load
    the bytes are there first and nothing waits. The wait adds up to 250 ms per hop to a
    lone event's way through the services, which nobody reading a card, a dashboard or the
    ticker tells apart; a consumer whose latency is a promise takes `prompt()`."""

    max_records: int = 500
    fetch_max_wait_ms: int = 250
    fetch_min_bytes: int = 256 << 10
    # How long a poll waits for a first record before the consume loop polls again (it does
    # not sleep in between: batch_polling.py). A poll that finds records returns at once,
    # whatever this is.
    batch_timeout_ms: int = 500

    @classmethod
    def prompt(cls) -> Fetching:
        """At most 100 ms, or 64 KiB (about 80 events), per fetch: smaller batches, for a
        consumer with a latency to keep (the rules: accepted -> reminder readable)."""
        return cls(fetch_max_wait_ms=100, fetch_min_bytes=64 << 10)


def register_consumer(
    broker: KafkaBroker,
    applier: BatchApplier,
    *,
    topic: str = EVENTS_TOPIC,
    fetching: Fetching = Fetching(),
) -> None:
    """Subscribe the applier to the topic in its service's consumer group."""

    subscriber = broker.subscriber(
        topic,
        group_id=applier.group_id,
        batch=True,
        max_records=fetching.max_records,
        batch_timeout_ms=fetching.batch_timeout_ms,
        auto_offset_reset="earliest",  # a new group (a rebuild) replays from the start
        max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
        fetch_max_wait_ms=fetching.fetch_max_wait_ms,
        fetch_min_bytes=fetching.fetch_min_bytes,
        # MANUAL: FastStream's ACK policies would commit on their own schedule; here the
        # offsets move only after the transaction (and any dead letters) are done.
        ack_policy=AckPolicy.MANUAL,
        decoder=_undecoded,
        title=f"{applier.service}.consumer",
    )
    without_nap(subscriber)

    @subscriber
    async def consume(message: KafkaMessage) -> None:
        records = message.raw_message
        batch = records if isinstance(records, tuple) else (records,)
        try:
            outcome = await applier.apply([Delivery.from_record(record) for record in batch])
        except BaseException:
            # Not finished (shutdown or a bug in the runtime): rewind so that nothing past
            # this batch is committed before the batch itself.
            await message.nack()
            raise
        if outcome.changed_nothing and SKIPPED_COMMITS.may_wait(message.consumer):
            return  # committed with a later batch or at the next empty poll
        await message.ack()
        SKIPPED_COMMITS.committed(message.consumer)
