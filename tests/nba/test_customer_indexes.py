"""Migration 0006 narrowed nba_customers' valid_from index to the rows that have one: the
reads still find their rows through the account's indexes (the who-next list's stale customers;
its correctness at two instants is test_service_who_next's), and the consumer still stores
each customer's invites and follow-ups once, whatever a batch repeats."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from crm_nba.main import MIGRATIONS
from crm_nba.repository.coaching import DmoEvent, record_dmo
from crm_nba.repository.who_next import STALE_AT
from crm_servicekit.db import apply_migrations_in_thread, create_pool

AS_OF = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


async def test_stale_customers_are_read_through_indexes(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    try:
        async with pool.acquire() as conn:
            # Many accounts' customers, few of them stale at as_of: the reads' rows are few.
            await conn.execute(
                """
                INSERT INTO nba_customers (account_id, customer_id, projection, recommendation,
                    action, priority, booking_state, computed_at, valid_from, next_change_at)
                SELECT 'account' || (n % 50), gen_random_uuid(), '{}', '{}', 'none', 0,
                    'none', $1::timestamptz, $1::timestamptz - interval '1 day' * (n % 3),
                    $1::timestamptz + interval '1 hour' * n
                FROM generate_series(1, 5000) AS n
                """,
                AS_OF,
            )
            await conn.execute("ANALYZE nba_customers")
            # A sequential scan as the last resort: an index the query cannot use (a partial
            # one whose predicate it does not imply) is absent from the plan.
            await conn.execute("SET enable_seqscan = off")
            plan = "\n".join(
                r[0] for r in await conn.fetch(f"EXPLAIN {STALE_AT}", "account7", AS_OF)
            )
        assert "Seq Scan" not in plan
        assert re.search(r"\bnba_validity\b(?!_start)", plan)
        assert "nba_validity_start" in plan
    finally:
        await pool.close()


async def test_dmo_events_are_kept_once(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    invite = DmoEvent("a", "e1", "invite", AS_OF)
    follow_up = DmoEvent("a", "e2", "follow_up", AS_OF)
    try:
        async with pool.acquire() as conn:
            await record_dmo(conn, [invite, follow_up, invite])
            await record_dmo(conn, [follow_up])
            rows = await conn.fetch("SELECT account_id, event_id, kind, at FROM nba_dmo_events")
        assert sorted(DmoEvent(*r) for r in rows) == [invite, follow_up]
    finally:
        await pool.close()
