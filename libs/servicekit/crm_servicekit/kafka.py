"""Kafka producer settings every publisher shares: idempotent, acks=all, ordered."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner, murmur2
from aiokafka.structs import RecordMetadata

from crm_schemas.envelope import EventEnvelope
from crm_schemas.topics import EVENTS_TOPIC, message_headers
from crm_servicekit.tracing import trace_context_headers


@functools.lru_cache(maxsize=131_072)
def _murmur2_index(key: bytes) -> int:
    return int(murmur2(key)) & 0x7FFFFFFF


def keyed_partitioner(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """Kafka's default partitioner (murmur2 of the key, as the Java client) with the hash of
    each key remembered: aiokafka computes it in pure Python, and a publisher sends the same
    customers' keys again and again."""
    if key is None:
        return int(DefaultPartitioner()(key, all_partitions, available))
    return all_partitions[_murmur2_index(key) % len(all_partitions)]


def idempotent_producer(bootstrap_servers: str, *, client_id: str) -> AIOKafkaProducer:
    """A producer whose retries neither duplicate nor reorder a partition's messages."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        partitioner=keyed_partitioner,
        # Publishers append a whole round of messages before awaiting any acknowledgement,
        # so they batch without waiting; a long linger would only add latency to each round.
        linger_ms=1,
        request_timeout_ms=15_000,
    )


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def record_of(
    event: EventEnvelope,
    topic: str = EVENTS_TOPIC,
    trace_context: Mapping[str, str | None] | None = None,
) -> OutgoingRecord:
    """The message of an event; with the trace context given, or else the current span's
    (none when tracing is off), in its headers."""
    if trace_context is None:
        trace_context = trace_context_headers()
    return OutgoingRecord(
        topic=topic,
        key=event.kafka_key,
        value=event.to_message(),
        headers=message_headers(
            event.event_name.value, event.account_id, event.event_id, trace_context
        ),
    )


async def publish_in_order(
    producer: AIOKafkaProducer, records: Sequence[OutgoingRecord]
) -> list[RecordMetadata]:
    """Send every record and wait until Kafka acknowledged all of them (acks=all).

    Sends are pipelined; the idempotent producer keeps each partition's order, so
    records of one customer arrive in the order given.
    """
    futures = [
        await producer.send(r.topic, value=r.value, key=r.key, headers=r.headers) for r in records
    ]
    return [await future for future in futures]


async def topic_partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions, read from fresh cluster metadata.

    A consumer that has not subscribed knows no metadata, so partitions_for_topic alone
    says None and a "read to the end" loop would end at once. aiokafka's public topics()
    fetches metadata but discards it, hence its client's fetch_all_metadata here.
    """
    cluster = await consumer._client.fetch_all_metadata()
    partitions = cluster.partitions_for_topic(topic)
    if partitions is None:
        raise LookupError(f"topic {topic!r} does not exist")
    return [TopicPartition(topic, p) for p in sorted(partitions)]
