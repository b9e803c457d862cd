"""Use cases of the stats service: record a consumed batch, and answer the dashboard, the DMO,
the event log and the ticker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from redis.asyncio import Redis

from crm_schemas.envelope import EventEnvelope
from crm_schemas.vocabulary import Vocabulary
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.pagination import Keyset
from crm_servicekit.problems import ServiceUnavailable
from crm_servicekit.settings_store import record_settings_changes, settings_history
from crm_stats import ticker_stream
from crm_stats.policy import dmo
from crm_stats.policy.batch import CustomerDelta, CustomerKey, batch_changes, next_actions_after
from crm_stats.policy.counters import StateKey, moves
from crm_stats.policy.figures import stats_figures
from crm_stats.policy.milestones import ReminderChange
from crm_stats.policy.periods import PeriodName, resolve_period, zone_of
from crm_stats.policy.ticker import shows_on_ticker, ticker_item
from crm_stats.repository import (
    customers,
    dmo_days,
    event_log,
    first_replies,
    reminders,
    state_counts,
    ticker_queue,
)
from crm_stats.repository.event_log import EventFilter, LogPosition
from crm_stats.repository.figures import stats_inputs
from crm_stats.schemas import CustomerStats, DmoDays, EventPage, TickerItem, TickerItems

log = structlog.get_logger(__name__)


async def record_batch(conn: Conn, events: Sequence[EventEnvelope], accounts: Accounts) -> None:
    """A batch the runtime has not applied before into the log, the counters and the ticker's
    queue, in the runtime's transaction."""
    zones = {e.account_id: zone_of(accounts, e.account_id) for e in events}
    changes = batch_changes(events, zones)
    await event_log.append(conn, changes.logged)
    # Each account's settings history, which judges its DMO days and overdue reminders.
    await record_settings_changes(conn, events)
    await first_replies.record(conn, changes.dms, changes.replies)
    # Reminders first: a deletion later in the batch removes them with the customer.
    if changes.reminders:
        await _apply_reminders(conn, changes.reminders)
    if changes.customers:
        await _apply_customers(conn, changes.customers)
    await dmo_days.add_days(conn, changes.days)
    await _queue_ticker(conn, [e for e in events if shows_on_ticker(e)], zones)


async def _apply_reminders(conn: Conn, changes: Sequence[tuple[str, ReminderChange]]) -> None:
    """Upsert the reminders and move the accounts' open-reminder counters with them."""
    await reminders.add_open(conn, await reminders.upsert(conn, changes))


async def _apply_customers(conn: Conn, deltas: dict[CustomerKey, CustomerDelta]) -> None:
    """Upsert the customers' rows and move their counted pipeline states with them."""
    accounts = sorted({account for account, _ in deltas})
    ids = {a: [c for b, c in deltas if b == a] for a in accounts}
    stepped = sorted(k for k, d in deltas.items() if d.next_action_steps)
    stored = await customers.next_action_choices(conn, stepped) if stepped else {}
    counted = await customers.upsert(conn, deltas, next_actions_after(deltas, stored))
    before: dict[str, dict[UUID, StateKey | None]] = {a: {} for a in accounts}
    after: dict[str, dict[UUID, StateKey | None]] = {a: {} for a in accounts}
    for side, keys in ((before, counted.before), (after, counted.after)):
        for (account, customer), key in keys.items():
            side[account][customer] = key
    for account in accounts:
        await state_counts.add_moves(conn, account, moves(before[account], after[account]))
        gone = [c for c in ids[account] if deltas[(account, c)].deleted]
        if gone:
            # A deleted customer's reminders leave every figure (their later events are
            # dropped by the runtime, so nothing brings them back).
            await reminders.delete_of(conn, account, gone)
            await first_replies.delete_of(conn, account, gone)


async def _queue_ticker(
    conn: Conn, events: Sequence[EventEnvelope], zones: dict[str, ZoneInfo]
) -> None:
    """Only events this batch applies for the first time reach here (the runtime's de-dup),
    so a redelivered batch queues nothing twice; names are read after the batch's upserts."""
    items = []
    for account_id in {e.account_id for e in events}:
        mine = [e for e in events if e.account_id == account_id]
        ids = [e.customer_id for e in mine if e.customer_id is not None]
        names = await customers.names(conn, account_id, ids) if ids else {}
        for event in mine:
            name = names.get(event.customer_id) if event.customer_id else None
            items.append((account_id, event.event_id, ticker_item(event, name, zones[account_id])))
    await ticker_queue.queue_ticker_items(conn, items)


async def customer_stats(
    pool: asyncpg.Pool[Any],
    account: Account,
    period: PeriodName,
    bounds: tuple[datetime | None, datetime | None],
    as_of: datetime,
    vocabulary: Vocabulary | None,
) -> CustomerStats:
    """The dashboard's figures of the period at as_of (custom periods with both bounds)."""
    window = resolve_period(period, as_of, account.zone, *bounds)
    return stats_figures(await stats_inputs(pool, account, window, as_of), vocabulary)


async def dmo_progress(
    pool: asyncpg.Pool[Any], account: Account, as_of: datetime, days: int
) -> DmoDays:
    """The last `days` local days up to as_of's, newest first, and the streak."""
    async with pool.acquire() as conn:
        history = await settings_history(conn, account)
        judged = await dmo_days.account_days(conn, account.account_id, account.zone, as_of, history)
    return dmo.dmo_days(judged, days)


async def events_page(
    pool: asyncpg.Pool[Any],
    account_id: str,
    where: EventFilter,
    keyset: Keyset[LogPosition],
) -> EventPage:
    """A page of the account's log, newest first; its cursor is the last item's position."""
    async with pool.acquire() as conn:
        rows = await event_log.events_page(conn, account_id, where, keyset.after, keyset.limit + 1)
    found = keyset.page(rows, lambda row: LogPosition(row.ts, row.event_id))
    return EventPage(items=[row.envelope for row in found.items], next_cursor=found.next_cursor)


# The ticker is all that needs Redis: without it, its routes say so and the rest goes on.
TICKER_UNAVAILABLE = "The live ticker is unavailable (its Redis does not answer); retry shortly."
TICKER_RETRY_AFTER_S = 5


async def newest_ticker_items(
    redis: Redis, account_id: str, limit: int, timeout_s: float
) -> TickerItems:
    try:
        items = await ticker_stream.ask_redis(
            lambda: ticker_stream.recent_items(redis, account_id, limit), timeout_s
        )
    except ticker_stream.TickerUnavailable as error:
        log.warning("ticker read failed: Redis cannot be asked", error=str(error))
        raise ServiceUnavailable(TICKER_UNAVAILABLE, retry_after_s=TICKER_RETRY_AFTER_S) from None
    return TickerItems(items=[TickerItem.model_validate(item) for item in items])


async def live_ticker(
    redis: Redis,
    account_id: str,
    resume_from: str | None,
    disconnected: Callable[[], Awaitable[bool]],
    timeout_s: float,
) -> AsyncIterator[dict[str, Any]]:
    """The account's items as they arrive, after resume_from (None: from now on). Redis is
    asked before the stream starts, so that an outage is a 503 rather than a stream that
    ends at once."""
    try:
        newest = await ticker_stream.ask_redis(
            lambda: ticker_stream.newest_id(redis, account_id), timeout_s
        )
    except ticker_stream.TickerUnavailable as error:
        log.warning("ticker stream refused: Redis cannot be asked", error=str(error))
        raise ServiceUnavailable(TICKER_UNAVAILABLE, retry_after_s=TICKER_RETRY_AFTER_S) from None
    return ticker_stream.live_items(redis, account_id, resume_from or newest, disconnected)
