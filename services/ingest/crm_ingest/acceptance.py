"""Accepting events: record, resolve, publish, answer (ARCHITECTURE.md, ingest).

Two transactions per call. The first records each new (account, event_id) as `pending` with
its resolved customer and the exact message, and commits: a crash after it loses nothing,
since a retry finds the pending record and publishes that same message. The second locks the
records (so concurrent repeats wait and then answer `duplicate`), sends every pending message
in one round, and marks those Kafka acknowledged as `published`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from asyncpg.exceptions import DeadlockDetectedError

from crm_ingest import repository as repo
from crm_ingest.identities import identities_of
from crm_ingest.resolution import DeletedCustomer, LostRace, resolve_all
from crm_ingest.webhooks import as_message_received
from crm_schemas.envelope import EventEnvelope, IncomingEvent
from crm_schemas.topics import message_headers
from crm_servicekit.connection import Conn
from crm_servicekit.metrics import EVENTS_PUBLISHED
from crm_servicekit.problems import FieldError

log = structlog.get_logger(__name__)
PRODUCER = "ingest"
_RACE_ATTEMPTS = 5
ANOTHER_BODY = "was already used for an event with another body"


class Status(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True)
class Candidate:
    """A normalized event ready to be accepted; `is_dm` defers DM_STARTED vs MESSAGE_RECEIVED."""

    event: IncomingEvent
    content_hash: str
    is_dm: bool = False

    @property
    def event_id(self) -> str:
        return self.event.event_id


@dataclass
class Outcome:
    event_id: str
    status: Status
    customer_id: UUID | None = None
    errors: list[FieldError] = field(default_factory=list)
    # Why it was rejected, for the single-event answers: "conflict" (409) or "invalid" (422).
    reason: str | None = None


@dataclass(frozen=True)
class Acceptor:
    pool: asyncpg.Pool
    producer: AIOKafkaProducer
    topic: str
    send_timeout_s: float

    async def accept(
        self,
        account_id: str,
        candidates: Sequence[Candidate],
        *,
        actor_id: str | None,
        now: datetime,
        received_at: Mapping[str, datetime] | None = None,
    ) -> dict[str, Outcome]:
        """Outcomes by event id; the candidates' event ids must be distinct.

        `received_at` gives an event's own arrival time when it differs from `now` (the
        group commit accepts events that arrived a few milliseconds apart together).
        """
        received = received_at or {}
        outcomes: dict[str, Outcome] = {}
        to_publish: list[str] = []
        async with self.pool.acquire() as conn:
            for _ in range(_RACE_ATTEMPTS):
                outcomes.clear()
                try:
                    async with conn.transaction():
                        to_publish = await self._record(
                            conn, account_id, candidates, actor_id, now, received, outcomes
                        )
                    break
                except LostRace:  # rolled back; the next try sees the winner's links
                    continue
                except DeadlockDetectedError:  # two groups crossed; PostgreSQL rolled one back
                    log.info("acceptances deadlocked; trying again", account_id=account_id)
                    continue
            else:
                log.warning("identity resolution kept losing races", account_id=account_id)
                return {c.event_id: Outcome(c.event_id, Status.FAILED) for c in candidates}
            if to_publish:
                async with conn.transaction():
                    await self._publish(conn, account_id, to_publish, now, outcomes)
        return outcomes

    async def _record(
        self,
        conn: Conn,
        account_id: str,
        candidates: Sequence[Candidate],
        actor_id: str | None,
        now: datetime,
        received: Mapping[str, datetime],
        outcomes: dict[str, Outcome],
    ) -> list[str]:
        by_id = {c.event_id: c for c in candidates}
        new = await repo.insert_records(
            conn, account_id, {c.event_id: c.content_hash for c in candidates}, now
        )
        earlier_ids = [i for i in by_id if i not in new]
        earlier = await repo.read_records(conn, account_id, earlier_ids) if earlier_ids else {}
        to_publish: list[str] = []
        for event_id, record in earlier.items():
            if record.content_hash != by_id[event_id].content_hash:
                outcomes[event_id] = _conflict(event_id)
            elif record.state == repo.PUBLISHED:
                outcomes[event_id] = Outcome(event_id, Status.DUPLICATE, record.customer_id)
            else:  # pending: an earlier try was not acknowledged; publish its message again
                to_publish.append(event_id)
        fresh = [c for c in candidates if c.event_id in new]
        wanted = [(c.event.customer_id, identities_of(c.event)) for c in fresh]
        resolved = await resolve_all(conn, account_id, wanted, now) if fresh else []
        first_dms = await self._first_dms(conn, account_id, fresh, resolved)
        messages: dict[str, tuple[UUID, bytes]] = {}
        for candidate, customer in zip(fresh, resolved, strict=True):
            if isinstance(customer, UUID):
                event = candidate.event
                if candidate.is_dm and event.event_id not in first_dms:
                    event = as_message_received(event)
                arrived = received.get(candidate.event_id, now)
                messages[candidate.event_id] = (
                    customer,
                    _message(account_id, event, customer, actor_id, arrived),
                )
            else:
                reason = (
                    "deleted customer"
                    if isinstance(customer, DeletedCustomer)
                    else ("unknown customer")
                )
                outcomes[candidate.event_id] = _invalid(candidate.event_id, reason)
        refused = [c.event_id for c in fresh if c.event_id not in messages]
        if refused:  # forget them, so a corrected retry is judged afresh
            await repo.forget_records(conn, account_id, refused)
        if messages:
            await repo.store_messages(conn, account_id, messages)
        return to_publish + [c.event_id for c in fresh if c.event_id in messages]

    async def _first_dms(
        self, conn: Conn, account_id: str, fresh: Sequence[Candidate], resolved: Sequence[object]
    ) -> set[str]:
        """The event ids of DMs that open a thread: the first DM seen from their customer on
        their platform, here or in any earlier request."""
        openers: dict[tuple[UUID, str], str] = {}
        for candidate, customer in zip(fresh, resolved, strict=True):
            if candidate.is_dm and isinstance(customer, UUID):
                source = candidate.event.source
                platform = source.value if source is not None else "unknown"
                openers.setdefault((customer, platform), candidate.event_id)
        return await repo.open_dm_threads(conn, account_id, openers) if openers else set()

    async def _publish(
        self,
        conn: Conn,
        account_id: str,
        event_ids: list[str],
        now: datetime,
        outcomes: dict[str, Outcome],
    ) -> None:
        records = await repo.read_records(conn, account_id, event_ids, lock=True)
        pending = []
        for event_id in event_ids:
            record = records.get(event_id)
            if record is None or record.message is None or record.customer_id is None:
                outcomes[event_id] = Outcome(event_id, Status.FAILED)  # purged meanwhile
            elif record.state == repo.PUBLISHED:  # a concurrent repeat published it first
                outcomes[event_id] = Outcome(event_id, Status.DUPLICATE, record.customer_id)
            else:
                pending.append(record)
        acked = await self._send(account_id, pending)
        await repo.mark_published(
            conn, account_id, [r.event_id for r in pending if r.event_id in acked], now
        )
        for record in pending:
            status = Status.ACCEPTED if record.event_id in acked else Status.FAILED
            outcomes[record.event_id] = Outcome(record.event_id, status, record.customer_id)

    async def _leaders_answer(self) -> bool:
        return await _leaders_answer_of(self.producer, self.topic)

    async def _send(self, account_id: str, records: list[repo.EventRecord]) -> set[str]:
        """One round of sends, then every acknowledgement; the ids Kafka acknowledged."""
        futures: list[tuple[str, str, asyncio.Future[object]]] = []
        acked: set[str] = set()
        try:
            async with asyncio.timeout(self.send_timeout_s):
                if not await self._leaders_answer():
                    log.warning("kafka unreachable; nothing sent", topic=self.topic)
                    return acked
                for record in records:
                    assert record.message is not None
                    assert record.customer_id is not None
                    name = json.loads(record.message)["event_name"]
                    future = await self.producer.send(
                        self.topic,
                        value=record.message,
                        key=str(record.customer_id).encode(),
                        headers=message_headers(name, account_id, record.event_id),
                    )
                    futures.append((record.event_id, name, future))
                results = await asyncio.gather(*(f for _, _, f in futures), return_exceptions=True)
        except (KafkaError, TimeoutError) as error:
            log.warning("kafka did not take the events", error=repr(error), sent=len(futures))
            results = [_settled(future, error) for *_, future in futures]
        for (event_id, name, _), result in zip(futures, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("kafka refused an event", event_id=event_id, error=repr(result))
                continue
            acked.add(event_id)
            EVENTS_PUBLISHED.labels(PRODUCER, name).inc()
        return acked


def _message(
    account_id: str, event: IncomingEvent, customer_id: UUID, actor_id: str | None, now: datetime
) -> bytes:
    envelope = EventEnvelope.model_validate(
        {
            **event.model_dump(exclude_none=True, by_alias=True),
            "account_id": account_id,
            "customer_id": customer_id,
            "actor_id": actor_id,
            "received_at": now,
            "producer": PRODUCER,
        }
    )
    return envelope.to_json()


def repeat_outcome(
    repeat: Candidate, first: Candidate, first_outcome: Outcome, conflict: FieldError
) -> Outcome:
    """The answer to a repeat of an event id accepted together with its first occurrence;
    `conflict` is the error to give when the repeat's body differs."""
    if repeat.content_hash != first.content_hash:
        error = conflict
        return Outcome(repeat.event_id, Status.REJECTED, errors=[error], reason="conflict")
    if first_outcome.status in (Status.ACCEPTED, Status.DUPLICATE):
        return Outcome(repeat.event_id, Status.DUPLICATE, first_outcome.customer_id)
    return first_outcome


def _conflict(event_id: str) -> Outcome:
    error = FieldError(["body", "event_id"], ANOTHER_BODY)
    return Outcome(event_id, Status.REJECTED, errors=[error], reason="conflict")


def _invalid(event_id: str, message: str) -> Outcome:
    error = FieldError(["body", "customer_id"], message)
    return Outcome(event_id, Status.REJECTED, errors=[error], reason=message)


async def _leaders_answer_of(producer: AIOKafkaProducer, topic: str) -> bool:
    """Whether every leader of the topic's partitions takes a connection now.

    Asked before sending because aiokafka keeps an unacknowledged message in its buffer while
    the leader is down, and delivers it once it is back, long after the client got its 503.
    Checking first, nothing is buffered in that case; a broker failing mid-send can still
    deliver late, which leaves a pending record and at worst a second copy of the message,
    which consumers de-duplicate.
    """
    client = producer.client
    partitions = client.cluster.partitions_for_topic(topic)
    if not partitions:  # metadata not fetched yet: send() fetches it, or times out
        return True
    leaders = {client.cluster.leader_for_partition(TopicPartition(topic, p)) for p in partitions}
    for node in leaders:
        if node is None or node < 0 or not await client.ready(node):
            return False
    return True


def _settled(future: asyncio.Future[object], error: BaseException) -> object:
    """A future's result if it has one; else the error that stopped the wait."""
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return error
