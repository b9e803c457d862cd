"""Accepting events: record, resolve, publish, answer (docs/architecture.md, ingest).

Two transactions per call. The first records each new (account, event_id) as `pending` with
its resolved customer and the exact message, and commits: a crash after it loses nothing,
since a retry finds the pending record and publishes that same message. The second locks the
records (so concurrent repeats wait and then answer `duplicate`), sends every pending message
in one round, and marks those Kafka acknowledged as `published`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import structlog
from asyncpg.exceptions import DeadlockDetectedError

from crm_ingest import repository
from crm_ingest.announce import Announcement, Announcer, message_of
from crm_ingest.policy.hooks import as_message_received
from crm_ingest.policy.identities import identities_of, linked_identities
from crm_ingest.policy.outcomes import (
    Candidate,
    Outcome,
    Status,
    conflict_outcome,
    invalid_customer_outcome,
)
from crm_ingest.policy.resolution import DeletedCustomer, Wanted
from crm_ingest.service.resolution import LostRace, resolve_all
from crm_servicekit.connection import Conn

log = structlog.get_logger(__name__)
_RACE_ATTEMPTS = 5


@dataclass(frozen=True)
class Acceptor:
    pool: asyncpg.Pool
    announcer: Announcer

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
        new = await repository.insert_records(
            conn, account_id, {c.event_id: c.content_hash for c in candidates}, now
        )
        earlier_ids = [i for i in by_id if i not in new]
        earlier = (
            await repository.read_records(conn, account_id, earlier_ids) if earlier_ids else {}
        )
        to_publish: list[str] = []
        for event_id, record in earlier.items():
            if record.content_hash != by_id[event_id].content_hash:
                outcomes[event_id] = conflict_outcome(event_id)
            elif record.state == repository.PUBLISHED:
                outcomes[event_id] = Outcome(event_id, Status.DUPLICATE, record.customer_id)
            else:  # pending: an earlier try was not acknowledged; publish its message again
                to_publish.append(event_id)
        fresh = [c for c in candidates if c.event_id in new]
        wanted = [
            Wanted(c.event.customer_id, identities_of(c.event), c.reference, c.follows, c.books)
            for c in fresh
        ]
        resolution = await resolve_all(conn, account_id, wanted, now) if fresh else None
        resolved = resolution.resolved if resolution is not None else []
        holding = resolution.holding if resolution is not None else []
        first_dms = await self._first_dms(conn, account_id, fresh, resolved)
        messages: dict[str, tuple[UUID, bytes]] = {}
        for candidate, customer, held in zip(fresh, resolved, holding, strict=True):
            if isinstance(customer, UUID):
                event = candidate.event
                if candidate.is_dm and event.event_id not in first_dms:
                    event = as_message_received(event)
                arrived = received.get(candidate.event_id, now)
                messages[candidate.event_id] = (
                    customer,
                    message_of(
                        account_id, event, customer, actor_id, arrived, linked_identities(held)
                    ),
                )
            else:
                deleted = isinstance(customer, DeletedCustomer)
                reason = "deleted customer" if deleted else "unknown customer"
                outcomes[candidate.event_id] = invalid_customer_outcome(candidate.event_id, reason)
        refused = [c.event_id for c in fresh if c.event_id not in messages]
        if refused:  # forget them, so a corrected retry is judged afresh
            await repository.forget_records(conn, account_id, refused)
        if messages:
            await repository.store_messages(conn, account_id, messages)
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
        return await repository.open_dm_threads(conn, account_id, openers) if openers else set()

    async def _publish(
        self,
        conn: Conn,
        account_id: str,
        event_ids: list[str],
        now: datetime,
        outcomes: dict[str, Outcome],
    ) -> None:
        records = await repository.read_records(conn, account_id, event_ids, lock=True)
        pending: list[Announcement] = []
        for event_id in event_ids:
            record = records.get(event_id)
            if record is None or record.message is None or record.customer_id is None:
                outcomes[event_id] = Outcome(event_id, Status.FAILED)  # purged meanwhile
            elif record.state == repository.PUBLISHED:  # a concurrent repeat published it first
                outcomes[event_id] = Outcome(event_id, Status.DUPLICATE, record.customer_id)
            else:
                pending.append(Announcement(event_id, record.customer_id, record.message))
        acked = await self.announcer.send(account_id, pending)
        await repository.mark_published(
            conn, account_id, [a.event_id for a in pending if a.event_id in acked], now
        )
        for announcement in pending:
            status = Status.ACCEPTED if announcement.event_id in acked else Status.FAILED
            outcomes[announcement.event_id] = Outcome(
                announcement.event_id, status, announcement.customer_id
            )
