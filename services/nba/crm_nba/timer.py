"""Time without events: recompute customers whose answer changes now, and coach the accounts.

One loop in the service process (ServiceSpec.background). Customers are claimed with
FOR UPDATE SKIP LOCKED and coaching kinds with a unique row per day, so replicas can
each run it without doing anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from crm_nba.announce import Outlet
from crm_nba.service.coaching import emit_coaching
from crm_nba.service.recompute import TIMER_BATCH, histories_of, recompute_due
from crm_servicekit.runtime import Resources


async def tick(res: Resources, outlet: Outlet) -> None:
    """One pass: every customer due by now, a batch per transaction, then each account's
    coaching in a transaction of its own.

    The accounts' settings histories are read once for the pass, not once per account and
    batch: a tick runs every second. A change recorded meanwhile counts from the next tick."""
    now = res.clock.now()
    async with res.pool.acquire() as conn:
        histories = await histories_of(conn, outlet, [a.account_id for a in res.accounts])
    while True:
        async with res.pool.acquire() as conn, conn.transaction():
            done = await recompute_due(conn, outlet, now, histories)
        if done < TIMER_BATCH:
            break
    for account in res.accounts:
        async with res.pool.acquire() as conn, conn.transaction():
            await emit_coaching(conn, account, outlet, now, histories.get(account.account_id))


def timer_loop(interval_s: float) -> Callable[[Resources], Awaitable[None]]:
    async def run(res: Resources) -> None:
        outlet = Outlet(res.accounts, res.settings.events_topic)
        while not res.stop.is_set():
            await tick(res, outlet)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(res.stop.wait(), timeout=interval_s)

    return run
