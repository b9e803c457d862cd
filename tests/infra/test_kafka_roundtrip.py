"""An event goes producer -> crm.events.v1 -> FastStream consumer group, on its key's partition."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from crm_schemas.topics import EVENTS_TOPIC, PARTITIONS, headers_dict, message_headers

pytestmark = pytest.mark.integration

ARRIVAL_TIMEOUT = 60.0


async def start_group_at_end(bootstrap: str, topic: str, group: str) -> None:
    """Commit the new group's offsets at the topic's current end, so it reads only what follows.

    The topic keeps every event forever, so "earliest" would replay all history, and "latest"
    races with our send (the reset may happen after it). Committed offsets remove both problems.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def next_with_event_id(received: asyncio.Queue[Any], event_id: str) -> Any:
    """Skip anything else a concurrent producer put on the shared topic meanwhile."""
    while True:
        message = await received.get()
        if headers_dict(message.raw_message.headers).get("event_id") == event_id:
            return message


async def test_event_arrives_in_consumer_group_on_its_keys_partition(kafka_bootstrap: str) -> None:
    group = f"test-infra-{uuid.uuid4().hex[:12]}"
    await start_group_at_end(kafka_bootstrap, EVENTS_TOPIC, group)

    customer_id, account_id, event_id = (str(uuid.uuid4()) for _ in range(3))
    envelope = {
        "event_id": event_id,
        "event_name": "CONTACT_CREATED",
        "account_id": account_id,
        "customer_id": customer_id,
        "occurred_at": datetime.now(UTC).isoformat(),
        "properties": {"source": "instagram"},
    }
    key = customer_id.encode()
    all_partitions = list(range(PARTITIONS))
    # The Java client's default too: murmur2 of the key bytes, modulo the partition count.
    expected_partition = DefaultPartitioner()(key, all_partitions, all_partitions)

    received: asyncio.Queue[Any] = asyncio.Queue()
    broker = KafkaBroker(kafka_bootstrap)

    @broker.subscriber(EVENTS_TOPIC, group_id=group, ack_policy=AckPolicy.ACK)
    async def collect(body: dict[str, Any], message: KafkaMessage) -> None:
        await received.put(message)

    await broker.start()
    try:
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap, enable_idempotence=True, acks="all"
        )
        await producer.start()
        try:
            sent = await producer.send_and_wait(
                EVENTS_TOPIC,
                value=json.dumps(envelope).encode(),
                key=key,
                headers=message_headers("CONTACT_CREATED", account_id, event_id),
            )
        finally:
            await producer.stop()
        message = await asyncio.wait_for(
            next_with_event_id(received, event_id), timeout=ARRIVAL_TIMEOUT
        )
    finally:
        await broker.stop()

    record = message.raw_message
    assert sent.partition == expected_partition
    assert record.partition == expected_partition
    assert record.key == key
    assert json.loads(record.value) == envelope
    assert headers_dict(record.headers) == {
        "event_name": "CONTACT_CREATED",
        "account_id": account_id,
        "event_id": event_id,
    }
