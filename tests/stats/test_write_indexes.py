"""Migration 0005 left the consumer's tables fewer index entries to write: the dashboard's
reads it narrowed indexes for can still use them, the count of reminders within the grace
is read from the partial indexes of open and closed reminders, and the event log, without
its primary key, still holds each event once whatever is redelivered."""

from __future__ import annotations

import pytest

from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new
from crm_stats.main import MIGRATIONS
from crm_stats.repository.customers import _COHORT, _COUNTS
from crm_stats.repository.reminders import _OPEN_AT
from crm_stats.service import record_batch

from .scripted_week import AS_OF, OSLO, oslo_week

ACCOUNTS = Accounts([Account(account_id=OSLO, time_zone="Europe/Oslo")])


async def _plan(conn: Conn, query: str, *args: object) -> str:
    """The plan chosen when a sequential scan is the last resort: an index the query cannot
    use (a partial one whose predicate it does not imply) is absent from it."""
    await conn.execute("SET enable_seqscan = off")
    rows = await conn.fetch(f"EXPLAIN {query}", *args)
    return "\n".join(row[0] for row in rows)


async def test_narrowed_indexes_serve_the_reads_they_served(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    events = oslo_week()
    try:
        async with pool.acquire() as conn, conn.transaction():
            await record_batch(conn, await claim_new(conn, events), ACCOUNTS)
        async with pool.acquire() as conn:
            week = (OSLO, AS_OF.replace(day=19), AS_OF, AS_OF)
            counts = await _plan(conn, _COUNTS, *week, AS_OF)
            assert "customer_milestones_created" in counts
            assert "customer_milestones_signing" in counts
            assert "customer_milestones_cohort" in await _plan(conn, _COHORT, *week)
            open_at = await _plan(conn, _OPEN_AT, OSLO, AS_OF, AS_OF.replace(day=24))
            assert "Seq Scan" not in open_at
            assert "reminders_closed" in open_at
    finally:
        await pool.close()


@pytest.mark.parametrize("batch_size", [1, 500])
async def test_a_redelivered_event_is_logged_once(new_database: str, batch_size: int) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    events = oslo_week()
    try:
        for _ in range(2):  # the whole week, then all of it again
            for start in range(0, len(events), batch_size):
                batch = events[start : start + batch_size]
                async with pool.acquire() as conn, conn.transaction():
                    await record_batch(conn, await claim_new(conn, batch + batch), ACCOUNTS)
        logged = await pool.fetch("SELECT event_id, count(*) AS n FROM event_log GROUP BY 1")
        assert {row["event_id"]: row["n"] for row in logged} == {e.event_id: 1 for e in events}
    finally:
        await pool.close()
