"""first_replies (each DM with the first reply after it) kept by the consumer equals a
recount from the log after any arrival order, batch size, redelivery and deletion, and the
speed-to-lead figures read from it equal the in-memory reference."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_stats.main import MIGRATIONS
from crm_stats.policy.dmo import DmoTargets
from crm_stats.policy.figures import speed_to_lead
from crm_stats.policy.periods import PeriodName, resolve_period
from crm_stats.repository.figures import stats_inputs

from .ledger import Ledger
from .scripted_week import NAMESPACE, event
from .test_reminder_counts import apply_batch

OSLO = Account(account_id="oslo", time_zone="Europe/Oslo")
T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)

# What the consumer keeps, computed from the log (the migration's backfill).
RECOUNT = """
SELECT d.customer_id, d.dm_at,
    (SELECT min(s.ts) FROM event_log s
     WHERE s.account_id = d.account_id AND s.customer_id = d.customer_id
       AND s.event_name = 'MESSAGE_SENT' AND s.ts >= d.dm_at) AS reply_at
FROM (
    SELECT DISTINCT e.account_id, e.customer_id, e.ts AS dm_at FROM event_log e
    JOIN customer_milestones m ON m.account_id = e.account_id AND m.customer_id = e.customer_id
    WHERE e.event_name = 'DM_STARTED' AND NOT m.deleted
) AS d
"""


def history(seed: int) -> list[EventEnvelope]:
    """DMs (some customers on two platforms) and replies before, between and after them,
    some at the same instant, shuffled; one customer deleted."""
    rng = random.Random(seed)
    events: list[EventEnvelope] = []
    for n in range(12):
        customer = uuid.uuid5(NAMESPACE, f"replies-{seed}-{n}")
        dms = [T0 + timedelta(minutes=rng.randrange(0, 5 * 24 * 60))]
        if rng.random() < 0.3:
            dms.append(dms[0] + timedelta(minutes=rng.randrange(0, 2 * 24 * 60)))
        for i, dm in enumerate(dms):
            events.append(event("DM_STARTED", customer, dm, event_id=f"dm-{customer}-{i}"))
        for i in range(rng.choice([0, 1, 2, 4])):
            sent = dms[0] + timedelta(minutes=rng.randrange(-60, 3 * 24 * 60))
            if rng.random() < 0.2:
                sent = dms[-1]  # the same instant as a DM counts as after it
            props = {"channel": "ig"}
            events.append(
                event("MESSAGE_SENT", customer, sent, props, event_id=f"sent-{customer}-{i}")
            )
        if n == 0:
            events.append(event("CUSTOMER_DELETED", customer, T0 + timedelta(days=2)))
    rng.shuffle(events)
    return events


def _key(row: Any) -> tuple[Any, ...]:
    return (row["customer_id"], row["dm_at"], row["reply_at"])


@pytest.mark.parametrize(("seed", "batch_size"), [(1, 1), (2, 4), (3, 100)])
async def test_first_replies_equal_a_recount_and_the_reference(
    new_database: str, seed: int, batch_size: int
) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    events = history(seed)
    conn = await asyncpg.connect(new_database)
    pool = await create_pool(new_database)  # stats_inputs reads on several connections
    try:
        for start in range(0, len(events), batch_size):
            batch = events[start : start + batch_size]
            await apply_batch(conn, batch)
            await apply_batch(conn, batch)  # redelivered: nothing changes
            kept = await conn.fetch("SELECT customer_id, dm_at, reply_at FROM first_replies")
            assert sorted(map(_key, kept)) == sorted(map(_key, await conn.fetch(RECOUNT)))

        ledger = Ledger(ZoneInfo("Europe/Oslo"), DmoTargets(20, 30))
        ledger.apply_all(events)
        grace = OSLO.overdue_grace.total_seconds()
        for days in range(-1, 8):
            as_of = T0 + timedelta(days=days, hours=7)
            for name, bounds in [
                (PeriodName.TODAY, (None, None)),
                (PeriodName.CUSTOM, (T0 - timedelta(days=1), T0 + timedelta(days=9))),
            ]:
                period = resolve_period(name, as_of, OSLO.zone, *bounds)
                stored = await stats_inputs(pool, OSLO, period, as_of)
                want = ledger.inputs(period, as_of, grace)
                assert sorted(stored.replies, key=repr) == sorted(want.replies, key=repr)
                assert speed_to_lead(stored.replies, as_of) == speed_to_lead(want.replies, as_of)
    finally:
        await pool.close()
        await conn.close()
