"""The dead-letter path: what could not be applied goes to crm.events.v1.dlq with its reason.

A dead letter keeps the original key, value and headers, and adds the source topic,
partition and offset, the error (with the traceback) and the attempt count, so that it
can be understood and replayed onto the main topic once fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from crm_schemas import topics as t
from crm_servicekit.delivery import Delivery
from crm_servicekit.kafka import OutgoingRecord, publish_in_order
from crm_servicekit.metrics import DLQ_MESSAGES


@dataclass(frozen=True)
class DeadLetter:
    delivery: Delivery
    error: str
    kind: str  # "invalid_payload", "unknown_account" or "handler_error"
    attempts: int
    consumer_group: str

    def record(self, topic: str = t.DLQ_TOPIC) -> OutgoingRecord:
        d = self.delivery
        extra = [
            (t.DLQ_HEADER_ERROR, self.error.encode()[-t.DLQ_ERROR_MAX_BYTES :]),
            (t.DLQ_HEADER_ERROR_KIND, self.kind.encode()),
            (t.DLQ_HEADER_SOURCE_TOPIC, d.topic.encode()),
            (t.DLQ_HEADER_SOURCE_PARTITION, str(d.partition).encode()),
            (t.DLQ_HEADER_SOURCE_OFFSET, str(d.offset).encode()),
            (t.DLQ_HEADER_ATTEMPTS, str(self.attempts).encode()),
            (t.DLQ_HEADER_CONSUMER_GROUP, self.consumer_group.encode()),
        ]
        return OutgoingRecord(topic=topic, key=d.key, value=d.value, headers=[*d.headers, *extra])


async def send_dead_letters(
    producer: AIOKafkaProducer, letters: list[DeadLetter], *, service: str, topic: str
) -> None:
    """Publish and wait for Kafka's ack: a dead letter must exist before its offset is committed."""
    if not letters:
        return
    await publish_in_order(producer, [letter.record(topic) for letter in letters])
    for letter in letters:
        DLQ_MESSAGES.labels(service, letter.delivery.event_name or "unknown").inc()


def original_headers(delivery: Delivery) -> list[tuple[str, bytes]]:
    """The headers the message had before it was dead-lettered (for replay)."""
    return [(name, value) for name, value in delivery.headers if name not in t.DLQ_HEADERS]
