"""What one dashboard request needs of the store, as policy's StatsInputs.

Each read mirrors a filter of the tests' in-memory ledger, so the database and the pure tests
agree; the arithmetic itself is policy's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.settings_store import settings_history
from crm_stats.policy.figures import StatsInputs, open_customers
from crm_stats.policy.periods import Period
from crm_stats.repository import customers, dmo_days, event_log, first_replies, reminders
from crm_stats.repository.state_counts import states

T = TypeVar("T")


async def stats_inputs(
    pool: asyncpg.Pool[Any], account: Account, period: Period, as_of: datetime
) -> StatsInputs:
    """What the dashboard needs, read by independent statements at once, each on a connection
    of its own: the request waits for the slowest read instead of the sum of all (each is a
    separate snapshot anyway, as consecutive statements on one connection would be). The
    settings history comes first: the reads of the reminders and the DMO days judge by it."""
    account_id = account.account_id
    history = await _pooled(pool, lambda conn: settings_history(conn, account))
    grace = history.in_force(as_of).overdue_grace
    async with asyncio.TaskGroup() as reads:
        tallies = reads.create_task(event_log.tallies_in(pool, account_id, period, as_of))
        counts = reads.create_task(customers.counts(pool, account_id, period, as_of))
        state_counts = reads.create_task(states(pool, account_id))
        cohort = reads.create_task(customers.cohort(pool, account_id, period, as_of))
        replies = reads.create_task(first_replies.first_replies_in(pool, account_id, period, as_of))
        open_reminders = reads.create_task(reminders.open_at(pool, account_id, as_of, grace))
        # The account's zone, not the settings': time_zone is fixed when the account is made.
        days = reads.create_task(
            _pooled(
                pool,
                lambda conn: dmo_days.account_days(conn, account_id, account.zone, as_of, history),
            )
        )
    counted = counts.result()
    live_states = state_counts.result()
    return StatsInputs(
        period=period,
        as_of=as_of,
        tallies=tallies.result(),
        new_leads=counted.new_leads,
        dms_started=len(replies.result()),
        signed_up=counted.signed_up,
        reminders_due=open_reminders.result().due,
        reminders_overdue=open_reminders.result().overdue,
        next_actions_overdue=counted.next_actions_overdue,
        states=live_states,
        cohort=cohort.result(),
        replies=replies.result(),
        healthy=counted.healthy,
        open_customers=open_customers(live_states),
        dmo=days.result(),
    )


async def _pooled(pool: asyncpg.Pool[Any], read: Callable[[Conn], Awaitable[T]]) -> T:
    async with pool.acquire() as conn:
        return await read(conn)
