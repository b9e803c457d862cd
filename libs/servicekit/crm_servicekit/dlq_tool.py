"""Reading the dead-letter topic and replaying letters back onto the events topic."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from crm_schemas import topics as t
from crm_servicekit.delivery import Delivery
from crm_servicekit.dlq import original_headers
from crm_servicekit.kafka import (
    OutgoingRecord,
    idempotent_producer,
    publish_in_order,
    topic_partitions,
)


@dataclass(frozen=True)
class StoredLetter:
    """A dead letter as read back from the DLQ topic."""

    delivery: Delivery  # its topic, partition and offset are the letter's place on the DLQ topic
    at: datetime  # when it was dead-lettered (the DLQ record's timestamp)

    @classmethod
    def from_record(cls, record: ConsumerRecord[Any, Any]) -> StoredLetter:
        return cls(
            Delivery.from_record(record), datetime.fromtimestamp(record.timestamp / 1000, UTC)
        )

    @property
    def letter_id(self) -> str:
        """The letter's own id, its partition and offset on the DLQ topic: an event's id is not
        enough, since several groups, or one again after a replay, may dead-letter it."""
        return f"{self.delivery.partition}:{self.delivery.offset}"

    @property
    def event_id(self) -> str | None:
        return self.delivery.event_id

    @property
    def reason(self) -> str:
        return self.delivery.decoded_headers.get(t.DLQ_HEADER_ERROR, "")

    @property
    def kind(self) -> str:
        return self.delivery.decoded_headers.get(t.DLQ_HEADER_ERROR_KIND, "")

    @property
    def source(self) -> str:
        h = self.delivery.decoded_headers
        return (
            f"{h.get(t.DLQ_HEADER_SOURCE_TOPIC)}[{h.get(t.DLQ_HEADER_SOURCE_PARTITION)}]"
            f"@{h.get(t.DLQ_HEADER_SOURCE_OFFSET)}"
        )

    @property
    def consumer_group(self) -> str:
        return self.delivery.decoded_headers.get(t.DLQ_HEADER_CONSUMER_GROUP, "")

    def replay_record(self, value: bytes | None = None) -> OutgoingRecord:
        topic = self.delivery.decoded_headers.get(t.DLQ_HEADER_SOURCE_TOPIC, t.EVENTS_TOPIC)
        return OutgoingRecord(
            topic=topic,
            key=self.delivery.key,
            value=self.delivery.value if value is None else value,
            headers=original_headers(self.delivery),
        )


async def read_letters(bootstrap: str, topic: str = t.DLQ_TOPIC) -> list[StoredLetter]:
    """Every letter on the DLQ topic, from the start to the current end (no group, no commit)."""
    return [StoredLetter.from_record(record) for record in await read_topic(bootstrap, topic)]


async def read_topic(
    bootstrap: str, topic: str, *, missing_ok: bool = False
) -> list[ConsumerRecord[Any, Any]]:
    """Every record of a topic from its start to its current end, in partition order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        client_id=f"crm-dlq-reader-{uuid.uuid4().hex[:8]}",
    )
    await consumer.start()
    try:
        try:
            partitions = await topic_partitions(consumer, topic)
        except LookupError:
            if missing_ok:
                return []
            raise
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[ConsumerRecord[Any, Any]] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                found.extend(records)
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return found
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class LetterFilter:
    """Which letters an operator means; an unset field does not narrow."""

    group: str | None = None
    since: datetime | None = None
    event_ids: frozenset[str] | None = None
    letter_ids: frozenset[str] | None = None

    def matches(self, letter: StoredLetter) -> bool:
        return (
            (self.group is None or letter.consumer_group == self.group)
            and (self.since is None or letter.at >= self.since)
            and (self.event_ids is None or letter.event_id in self.event_ids)
            and (self.letter_ids is None or letter.letter_id in self.letter_ids)
        )


def select(letters: Iterable[StoredLetter], event_ids: set[str] | None) -> list[StoredLetter]:
    """The letters to replay: all, or those of the given event ids (latest letter per id)."""
    chosen: dict[str, StoredLetter] = {}
    for letter in letters:
        key = letter.event_id or letter.delivery.position
        if event_ids is None or key in event_ids:
            chosen[key] = letter
    return list(chosen.values())


async def replay(
    bootstrap: str, letters: list[StoredLetter], *, fixed_value: bytes | None = None
) -> int:
    """Publish the letters back onto their source topic, keyed and with headers as before.

    `fixed_value` replaces the body (a corrected payload) when replaying one letter.
    Consumers de-duplicate by event id, so replaying a letter twice applies it once.
    """
    if fixed_value is not None and len(letters) != 1:
        raise ValueError("a corrected payload can replace exactly one letter")
    producer = idempotent_producer(bootstrap, client_id="crm-dlq-replay")
    await producer.start()
    try:
        await publish_in_order(producer, [letter.replay_record(fixed_value) for letter in letters])
    finally:
        await producer.stop()
    return len(letters)
