"""Which dead letters are dealt with: marks on a small compacted topic beside the DLQ.

A mark is keyed by the letter's id (its partition and offset on the DLQ topic); compaction keeps
the latest mark per letter for ever, so the topic stays as small as the DLQ. The marks live in
Kafka rather than in a service's database or a local file because the DLQ has no owning
service, and everyone of the team working through it must see the same marks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from crm_schemas.topics import DLQ_RESOLVED_TOPIC, DLQ_TOPIC
from crm_servicekit.dlq_tool import StoredLetter, read_topic
from crm_servicekit.kafka import OutgoingRecord, idempotent_producer, publish_in_order

RESOLVED_TOPIC_CONFIG = {"cleanup.policy": "compact", "retention.ms": "-1"}


def resolutions_topic(dlq_topic: str) -> str:
    """`crm.events.v1.dlq` → `crm.events.v1.dlq.resolved` (DLQ_RESOLVED_TOPIC)."""
    return DLQ_RESOLVED_TOPIC if dlq_topic == DLQ_TOPIC else f"{dlq_topic}.resolved"


@dataclass(frozen=True)
class Resolution:
    letter_id: str
    event_id: str | None
    consumer_group: str
    resolution: str  # "resolved" (by hand) or "replayed"
    at: str  # ISO 8601, UTC
    by: str
    note: str


async def read_resolutions(bootstrap: str, topic: str) -> dict[str, Resolution]:
    """The latest mark of each letter (none while the topic does not exist yet)."""
    marks: dict[str, Resolution] = {}
    for record in await read_topic(bootstrap, topic, missing_ok=True):
        key = (record.key or b"").decode()
        if record.value is None:  # a tombstone: the letter is open again
            marks.pop(key, None)
        else:
            marks[key] = Resolution(**json.loads(record.value))
    return marks


async def mark(
    bootstrap: str,
    topic: str,
    letters: Sequence[StoredLetter],
    *,
    resolution: str,
    at: datetime,
    by: str,
    note: str = "",
    dlq_topic: str,
) -> int:
    """Record the letters as dealt with (creating the marks' topic on first use)."""
    if not letters:
        return 0
    await ensure_topic(bootstrap, topic, like=dlq_topic)
    records = [
        OutgoingRecord(
            topic=topic,
            key=letter.letter_id.encode(),
            value=json.dumps(
                asdict(
                    Resolution(
                        letter.letter_id,
                        letter.event_id,
                        letter.consumer_group,
                        resolution,
                        at.isoformat().replace("+00:00", "Z"),
                        by,
                        note,
                    )
                )
            ).encode(),
            headers=[],
        )
        for letter in letters
    ]
    producer = idempotent_producer(bootstrap, client_id="crm-dlq-resolve")
    await producer.start()
    try:
        await publish_in_order(producer, records)
    finally:
        await producer.stop()
    return len(records)


async def ensure_topic(bootstrap: str, topic: str, *, like: str) -> None:
    """Create the compacted marks topic, with as many copies as the DLQ topic has, if absent.

    Deployments declare it (compose's kafka-init, the Strimzi KafkaTopic, `make up`); this
    covers a deployment older than the marks, since brokers here do not create topics on use.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        described = await admin.describe_topics([topic, like])
        by_name = {entry["topic"]: entry for entry in described}
        if by_name.get(topic, {}).get("error_code") == 0:
            return
        partitions = by_name.get(like, {}).get("partitions") or [{"replicas": [0]}]
        copies = len(partitions[0]["replicas"])
        answer = await admin.create_topics(
            [NewTopic(topic, 1, copies, topic_configs=dict(RESOLVED_TOPIC_CONFIG))]
        )
        for name, code, *_ in answer.topic_errors:
            if code and not issubclass(for_code(code), TopicAlreadyExistsError):
                raise for_code(code)(f"topic {name}: could not be created")
    finally:
        await admin.close()
