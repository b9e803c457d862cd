"""Time without events: recompute customers whose answer changes now, and coach the accounts.

One loop in the service process (ServiceSpec.background). Customers are claimed with
FOR UPDATE SKIP LOCKED and coaching kinds with a unique row per day, so replicas can
each run it without doing anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from crm_nba import repository as repo
from crm_nba.coaching import local_day
from crm_nba.reading import coaching_at
from crm_nba.service import PRODUCER, Cause, Outlet, recompute
from crm_schemas.catalog import EventName
from crm_schemas.system_events import system_event
from crm_schemas.system_properties import CoachingPrompt
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue
from crm_servicekit.runtime import Resources

log = structlog.get_logger(__name__)
TIMER_BATCH = 500


async def recompute_due(conn: Conn, outlet: Outlet, now: datetime) -> int:
    """Recompute up to a batch of customers whose stored next change is at or before now."""
    due = await repo.customers_due_for_timer(conn, now, TIMER_BATCH)
    # The change happened at the stored instant, whenever the timer gets to it: that instant
    # names the NBA_CHANGED, so a replica or a restart announces it under the same id.
    causes = {
        key: Cause(f"nba-timer:{key[1]}:{changes_at.isoformat()}", changes_at)
        for key, changes_at in due
    }
    await recompute(conn, causes, outlet, now)
    return len(due)


async def emit_coaching(conn: Conn, account: Account, outlet: Outlet, now: datetime) -> int:
    """Emit COACHING_PROMPT for each kind whose condition holds and was not emitted today."""
    emitted = await repo.coaching_emitted(conn, account.account_id, local_day(now, account))
    prompts = await coaching_at(conn, account, now, emitted)
    fresh: list[CoachingPrompt] = []
    for prompt in prompts:
        assert prompt.local_date is not None
        day = datetime.fromisoformat(prompt.local_date).date()
        if await repo.mark_coaching_emitted(
            conn, account.account_id, day, prompt.kind.value, prompt.text, now
        ):
            fresh.append(prompt)
    await enqueue(
        conn,
        [
            system_event(
                name=EventName.COACHING_PROMPT,
                account_id=account.account_id,
                customer_id=None,
                properties=prompt,
                cause_event_id=f"coaching:{prompt.local_date}",
                discriminator=prompt.kind.value,
                timestamp=now,
                producer=PRODUCER,
                received_at=now,
            )
            for prompt in fresh
        ],
        outlet.topic,
    )
    return len(fresh)


async def tick(res: Resources, outlet: Outlet) -> None:
    now = res.clock.now()
    while True:
        async with res.pool.acquire() as conn, conn.transaction():
            done = await recompute_due(conn, outlet, now)
        if done < TIMER_BATCH:
            break
    for account in res.accounts:
        async with res.pool.acquire() as conn, conn.transaction():
            await emit_coaching(conn, account, outlet, now)


def timer_loop(outlet: Outlet, interval_s: float) -> Callable[[Resources], Awaitable[None]]:
    async def run(res: Resources) -> None:
        while not res.stop.is_set():
            await tick(res, outlet)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(res.stop.wait(), timeout=interval_s)

    return run
