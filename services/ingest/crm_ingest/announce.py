"""What ingest publishes: each accepted event as a topic envelope, sent to Kafka in rounds.

Before a round is sent, every leader of the topic's partitions must take a connection:
aiokafka keeps an unacknowledged message in its buffer while the leader is down, and delivers
it once it is back, long after the client got its 503. Checking first, nothing is buffered in
that case; a broker failing mid-send can still deliver late, which leaves a pending record and
at worst a second copy of the message, which consumers de-duplicate.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import structlog
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from crm_schemas.contact import LinkedIdentities
from crm_schemas.envelope import EventEnvelope, IncomingEvent
from crm_schemas.topics import message_headers
from crm_servicekit.batch_apply import LOGGED_ONE_BY_ONE
from crm_servicekit.metrics import EVENTS_PUBLISHED
from crm_servicekit.tracing import publish_span, trace_context_headers

log = structlog.get_logger(__name__)
PRODUCER = "ingest"


@dataclass(frozen=True)
class Announcement:
    """One stored message to send: keyed by its customer, as recorded for its event id."""

    event_id: str
    customer_id: UUID
    message: bytes


def message_of(
    account_id: str,
    event: IncomingEvent,
    customer_id: UUID,
    actor_id: str | None,
    now: datetime,
    linked: LinkedIdentities | None = None,
) -> bytes:
    """The exact bytes published for an accepted event (stored first, so a retry resends them),
    with the event's identities linked to its customer (`linked_identities`) when it has any."""
    envelope = EventEnvelope.model_validate(
        {
            **event.model_dump(exclude_none=True, by_alias=True),
            "account_id": account_id,
            "customer_id": customer_id,
            "actor_id": actor_id,
            "received_at": now,
            "producer": PRODUCER,
            "linked_identities": linked,
        }
    )
    return envelope.to_message()


@dataclass(frozen=True)
class Announcer:
    producer: AIOKafkaProducer
    topic: str
    send_timeout_s: float

    async def send(self, account_id: str, announcements: Sequence[Announcement]) -> set[str]:
        """One round of sends, then every acknowledgement; the event ids Kafka acknowledged."""
        futures: list[tuple[Announcement, str, asyncio.Future[object]]] = []
        acked: set[str] = set()
        with publish_span(self.topic, len(announcements)):
            # The publish span's context (none when tracing is off), for the consumers.
            trace_context = trace_context_headers()
            try:
                async with asyncio.timeout(self.send_timeout_s):
                    if not await self.leaders_answer():
                        log.warning("kafka unreachable; nothing sent", topic=self.topic)
                        return acked
                    for announcement in announcements:
                        name = json.loads(announcement.message)["event_name"]
                        future = await self.producer.send(
                            self.topic,
                            value=announcement.message,
                            key=str(announcement.customer_id).encode(),
                            headers=message_headers(
                                name, account_id, announcement.event_id, trace_context
                            ),
                        )
                        futures.append((announcement, name, future))
                    results = await asyncio.gather(
                        *(f for _, _, f in futures), return_exceptions=True
                    )
            except (KafkaError, TimeoutError) as error:
                log.warning("kafka did not take the events", error=repr(error), sent=len(futures))
                results = [_settled(future, error) for *_, future in futures]
            for (announcement, name, _), result in zip(futures, results, strict=True):
                event_id = announcement.event_id
                if isinstance(result, BaseException):
                    log.warning("kafka refused an event", event_id=event_id, error=repr(result))
                    continue
                acked.add(event_id)
                EVENTS_PUBLISHED.labels(PRODUCER, name).inc()
                if len(futures) <= LOGGED_ONE_BY_ONE:
                    log.info(
                        "event published",
                        event_id=event_id,
                        customer_id=str(announcement.customer_id),
                        account_id=account_id,
                        event_name=name,
                    )
            if len(futures) > LOGGED_ONE_BY_ONE:
                log.info("events published", account_id=account_id, count=len(acked))
        return acked

    async def leaders_answer(self) -> bool:
        """Whether every leader of the topic's partitions takes a connection now."""
        client = self.producer.client
        partitions = client.cluster.partitions_for_topic(self.topic)
        if not partitions:  # metadata not fetched yet: send() fetches it, or times out
            return True
        leaders = {
            client.cluster.leader_for_partition(TopicPartition(self.topic, partition))
            for partition in partitions
        }
        for node in leaders:
            if node is None or node < 0 or not await client.ready(node):
                return False
        return True


def _settled(future: asyncio.Future[object], error: BaseException) -> object:
    """A future's result if it has one; else the error that stopped the wait."""
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return error
