"""The scheduler: a loop that announces due reminders every interval until the service stops.

Each pass is one transaction (service.due): claimed with FOR UPDATE SKIP LOCKED, announced
and marked notified together, so two replicas never announce the same reminder twice; the
event id is fixed by (reminder, scheduled_for) besides.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from prometheus_client import Gauge

from crm_rules.service.due import announce_due, due_backlog
from crm_rules.settings import RulesSettings
from crm_servicekit.clock import Clock
from crm_servicekit.runtime import BackgroundLoop, Resources

log = structlog.get_logger(__name__)

SCHEDULER_BACKLOG = Gauge(
    "crm_scheduler_backlog", "Reminders due and not announced yet.", ["service"]
)
SCHEDULER_OLDEST_DUE_LATE = Gauge(
    "crm_scheduler_oldest_due_late_seconds",
    "How long past its time the oldest reminder due and not announced yet is (0 when none).",
    ["service"],
)


async def notify_due_once(pool: asyncpg.Pool, clock: Clock, *, topic: str, batch: int) -> int:
    """One pass: returns how many reminders were announced due."""
    async with pool.acquire() as conn, conn.transaction():
        return await announce_due(conn, clock.now(), topic=topic, batch=batch)


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


def due_reminders(settings: RulesSettings) -> BackgroundLoop:
    """The scheduler as the service's background loop, paced by the settings."""

    async def loop(res: Resources) -> None:
        await run_scheduler(
            res.pool,
            res.clock,
            res.stop,
            topic=settings.events_topic,
            batch=settings.scheduler_batch,
            interval_s=settings.scheduler_interval_s,
        )

    return loop


async def read_backlog(res: Resources) -> None:
    """The scheduler's backlog as gauges; the runtime refreshes them on its timer, so a
    scheduler that stopped working shows its backlog growing."""
    async with res.pool.acquire() as conn:
        backlog = await due_backlog(conn, res.clock.now())
    service = res.settings.service_name
    SCHEDULER_BACKLOG.labels(service).set(backlog.reminders)
    SCHEDULER_OLDEST_DUE_LATE.labels(service).set(backlog.oldest_late_s)
