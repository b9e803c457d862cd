"""The scheduler: REMINDER_DUE once the clock passes an open reminder's scheduled_for.

Each pass claims due reminders with FOR UPDATE SKIP LOCKED, writes their REMINDER_DUE to
the outbox and marks them notified in one transaction, so two replicas never announce the
same reminder twice; the event id is fixed by (reminder, scheduled_for) besides.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from crm_rules import repository as repo
from crm_rules.announce import due_notice
from crm_servicekit.clock import Clock
from crm_servicekit.outbox import enqueue

log = structlog.get_logger(__name__)


async def notify_due_once(pool: asyncpg.Pool, clock: Clock, *, topic: str, batch: int) -> int:
    """One pass: returns how many reminders were announced due."""
    async with pool.acquire() as conn, conn.transaction():
        now = clock.now()
        due = await repo.claim_due(conn, now, batch)
        if not due:
            return 0
        notices = [due_notice(r, received_at=now) for r in due]
        await enqueue(conn, notices, topic)
        await repo.mark_notified(conn, due)
    return len(due)


async def run_scheduler(
    pool: asyncpg.Pool,
    clock: Clock,
    stop: asyncio.Event,
    *,
    topic: str,
    batch: int,
    interval_s: float,
) -> None:
    """Until stop: drain what is due, then wait one interval."""
    while not stop.is_set():
        try:
            while await notify_due_once(pool, clock, topic=topic, batch=batch) >= batch:
                pass
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("scheduler pass failed; trying again", error=repr(error))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
