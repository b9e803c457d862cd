"""Transactional outbox: events leave a service only after the change that caused them commits.

`enqueue` writes events into the service's `outbox` table inside the caller's transaction.
`OutboxRelay` publishes the rows in id order with the idempotent producer and deletes them
after Kafka's ack. Several replicas may run a relay; a PostgreSQL advisory lock keeps
exactly one active and the others stand by. Delivery is at least once (a crash between the
ack and the delete republishes); consumers de-duplicate by event id.

A sent row is deleted, not kept: the topic is the record of what left (it keeps everything),
and consumers de-duplicate by event id whether or not the outbox still holds an event.
Marking rows sent would write each a second version with new index entries (the mark is in
the index of rows to send, so no update is HOT) and leave a purge to delete it later: three
writes of every announcement where two do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from crm_schemas.envelope import EventEnvelope
from crm_schemas.topics import (
    EVENTS_TOPIC,
    HEADER_TRACEPARENT,
    HEADER_TRACESTATE,
    message_headers,
)
from crm_servicekit.connection import Conn
from crm_servicekit.failures import is_transient
from crm_servicekit.idempotency_store import mark_processed
from crm_servicekit.kafka import OutgoingRecord, publish_in_order, record_of
from crm_servicekit.metrics import EVENTS_PUBLISHED
from crm_servicekit.session_lock import advisory_lock_key
from crm_servicekit.tracing import trace_context_headers

log = structlog.get_logger(__name__)

NOTIFY_CHANNEL = "crm_outbox"


async def enqueue(conn: Conn, events: Sequence[EventEnvelope], topic: str = EVENTS_TOPIC) -> int:
    """Write events to the outbox in the caller's transaction; returns how many were new.

    A deterministic event id still waiting in the outbox (the same cause handled again before
    the relay sent it) is not written twice.
    """
    if not events:
        return 0
    records = [record_of(event, topic, trace_context={}) for event in events]
    # The span of the change that caused these events (none when tracing is off): the relay
    # publishes it with them, so their consumers continue this trace.
    trace_context = trace_context_headers()
    traceparent = trace_context.get(HEADER_TRACEPARENT)
    tracestate = trace_context.get(HEADER_TRACESTATE)
    rows = await conn.fetch(
        """
        INSERT INTO outbox (account_id, event_id, event_name, topic, key, value, traceparent,
                            tracestate)
        SELECT a, e, n, t, k, v, $7::text, $8::text
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bytea[])
             AS u(a, e, n, t, k, v)
        ON CONFLICT (account_id, event_id) DO NOTHING
        RETURNING id
        """,
        [e.account_id for e in events],
        [e.event_id for e in events],
        [e.event_name.value for e in events],
        [r.topic for r in records],
        [r.key for r in records],
        [r.value for r in records],
        traceparent,
        tracestate,
    )
    if rows:
        # Delivered at commit only, so the relay wakes when there is something to send.
        await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    return len(rows)


async def enqueue_applied(conn: Conn, events: Sequence[EventEnvelope], topic: str) -> None:
    """Write to the outbox events whose effects this transaction applied already, and count
    them as processed by this service.

    When they come back from the topic the consumer must not apply them again (a late copy
    of an older change would undo a newer one); a rebuild, from an empty store, does.
    """
    if not events:
        return
    await enqueue(conn, events, topic)
    await mark_processed(conn, events)


@dataclass
class OutboxRelay:
    dsn: str
    producer: AIOKafkaProducer
    service: str
    batch_size: int = 500
    idle_wait_s: float = 1.0
    standby_wait_s: float = 1.0

    @property
    def lock_key(self) -> int:
        # One advisory lock per service, the same in every replica and version.
        return advisory_lock_key(f"outbox-relay:{self.service}")

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until stop is set; survives database and broker outages."""
        while not stop.is_set():
            try:
                await self._lead_while_possible(stop)
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("outbox relay failed", service=self.service)
                else:
                    log.warning("outbox relay waiting out an outage", error=repr(exc))
                await _wait(stop, self.standby_wait_s)

    async def _lead_while_possible(self, stop: asyncio.Event) -> None:
        conn: asyncpg.Connection[Any] = await asyncpg.connect(self.dsn)
        wake = asyncio.Event()
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_key):
                if await _wait(stop, self.standby_wait_s):
                    return
            log.info("outbox relay active", service=self.service)
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
            while not stop.is_set():
                wake.clear()
                # The same connection holds the lock and deletes the sent rows: if it dies, the
                # lock goes with it and this relay stops before another one takes over.
                sent = await self.relay_once(conn)
                if sent < self.batch_size:
                    await _wait_any(stop, wake, self.idle_wait_s)
        finally:
            await conn.close()

    async def relay_once(self, conn: Conn) -> int:
        """Publish one batch of rows in id order and delete them; returns how many were sent."""
        rows = await conn.fetch(
            """
            SELECT id, event_name, topic, key, value, account_id, event_id, traceparent,
                   tracestate
            FROM outbox ORDER BY id LIMIT $1
            """,
            self.batch_size,
        )
        if not rows:
            return 0
        records = [
            OutgoingRecord(
                topic=row["topic"],
                key=row["key"],
                value=row["value"],
                headers=message_headers(
                    row["event_name"],
                    row["account_id"],
                    row["event_id"],
                    {HEADER_TRACEPARENT: row["traceparent"], HEADER_TRACESTATE: row["tracestate"]},
                ),
            )
            for row in rows
        ]
        await publish_in_order(self.producer, records)
        sent = [row["id"] for row in rows]
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", sent)
        for row in rows:
            EVENTS_PUBLISHED.labels(self.service, row["event_name"]).inc()
        return len(rows)


@dataclass(frozen=True)
class UnsentBacklog:
    rows: int
    oldest_age_s: float  # 0 when no row waits


async def unsent_backlog(conn: Conn) -> UnsentBacklog:
    """What waits to be sent. The age is taken against the database's clock, the one that
    stamped created_at, so that a difference between hosts' clocks never shows as backlog."""
    row = await conn.fetchrow(
        """
        SELECT count(*) AS rows,
               coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
        FROM outbox
        """
    )
    assert row is not None
    return UnsentBacklog(rows=row["rows"], oldest_age_s=max(0.0, row["age"]))


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`, returning early (True) when stop is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
