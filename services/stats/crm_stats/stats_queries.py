"""Reads for the dashboard: what one request needs of the store, as policy.StatsInputs.

Each query mirrors a filter of crm_stats.ledger (the in-memory reference), so the database
and the pure tests agree; the arithmetic itself is policy's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import asyncpg

from crm_schemas.pipeline import OPEN_STATUSES, BookingState, Status
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_stats.dmo import STREAK_HORIZON_DAYS, DayTally, DmoTargets
from crm_stats.milestones import Tally
from crm_stats.periods import Period, local_date, local_midnight
from crm_stats.policy import (
    HEALTHY_WITHIN,
    FirstReply,
    FunnelCustomer,
    OpenReminders,
    StateCount,
    StatsInputs,
)

T = TypeVar("T")
OPEN_CODES = sorted(status.value for status in OPEN_STATUSES)

_TALLIES = """
SELECT tally, count(*) AS n FROM event_log
WHERE account_id = $1 AND tally IS NOT NULL AND ts >= $2 AND ts < $3 AND ts <= $4
GROUP BY tally
"""

_OPEN_LITERAL = ", ".join(f"'{code}'" for code in OPEN_CODES)
# Literal open stages, so the planner matches the partial indexes of migration 0002.
_CUSTOMER_COUNTS = f"""
SELECT
    (SELECT count(*) FROM customer_milestones WHERE account_id = $1 AND NOT deleted
        AND created_at >= $2 AND created_at < $3 AND created_at <= $4) AS new_leads,
    (SELECT count(*) FROM customer_milestones WHERE account_id = $1 AND NOT deleted
        AND first_signing_at >= $2 AND first_signing_at < $3 AND first_signing_at <= $4)
        AS signed_up,
    (SELECT count(*) FROM customer_milestones WHERE account_id = $1 AND NOT deleted
        AND status IN ({_OPEN_LITERAL}) AND next_action_date < $4) AS next_actions_overdue,
    (SELECT count(*) FROM customer_milestones WHERE account_id = $1 AND NOT deleted
        AND NOT opted_out AND status IN ({_OPEN_LITERAL}) AND last_activity_at >= $5)
        AS healthy
"""

_STATES = """
SELECT status, booking_state, joined_team, opted_out, customers FROM state_counts
WHERE account_id = $1 AND customers > 0
"""

_COHORT = """
SELECT customer_id, qualified_at, presented_at, signed_up_at, booked_at, held_at, no_show_at,
    bookings, no_shows
FROM customer_milestones
WHERE account_id = $1 AND NOT deleted AND cohort_at >= $2 AND cohort_at < $3 AND cohort_at <= $4
"""

# The customer's first DM of the period and the first reply after it (crm_stats.first_replies).
_REPLIES = """
SELECT DISTINCT ON (customer_id) dm_at, reply_at FROM first_replies
WHERE account_id = $1 AND dm_at >= $2 AND dm_at < $3 AND dm_at <= $4
ORDER BY customer_id, dm_at
"""

# Open at as_of, from the consumer's counter of reminders open now: only reminders scheduled
# or opened after as_of, closed after it, or scheduled within the grace are read, each range
# by an index. A deleted customer's reminders are removed with them.
_REMINDERS = """
SELECT
    COALESCE((SELECT open_reminders FROM reminder_counts WHERE account_id = $1), 0) AS open_now,
    (SELECT count(*) FROM reminders WHERE account_id = $1 AND closed_at IS NULL
        AND scheduled_for > $2) AS scheduled_later,
    (SELECT count(*) FROM reminders WHERE account_id = $1 AND closed_at IS NULL
        AND opened_at > $2 AND scheduled_for <= $2) AS opened_later,
    (SELECT count(*) FROM reminders WHERE account_id = $1 AND closed_at > $2
        AND opened_at <= $2 AND scheduled_for <= $2) AS closed_later,
    (SELECT count(*) FROM reminders WHERE account_id = $1 AND scheduled_for >= $3
        AND scheduled_for <= $2 AND opened_at <= $2 AND (closed_at IS NULL OR closed_at > $2))
        AS within_grace
"""


def targets_of(account: Account) -> DmoTargets:
    return DmoTargets(account.dmo_targets.invites, account.dmo_targets.follow_ups)


async def day_tallies(
    conn: Conn, account_id: str, zone: ZoneInfo, as_of: datetime, horizon_days: int
) -> dict[date, DayTally]:
    """Finished local days from the counters; as_of's own day from the log, cut at as_of."""
    today = local_date(as_of, zone)
    rows = await conn.fetch(
        "SELECT day, invites, follow_ups FROM dmo_days "
        "WHERE account_id = $1 AND day < $2 AND day >= $3",
        account_id,
        today,
        today - timedelta(days=horizon_days),
    )
    days = {row["day"]: DayTally(row["invites"], row["follow_ups"]) for row in rows}
    cut = await conn.fetch(
        "SELECT tally, count(*) AS n FROM event_log WHERE account_id = $1 "
        "AND tally = ANY($2::text[]) AND ts >= $3 AND ts <= $4 GROUP BY tally",
        account_id,
        [Tally.INVITES.value, Tally.FOLLOW_UPS.value],
        local_midnight(today, zone),
        as_of,
    )
    counted = {row["tally"]: row["n"] for row in cut}
    days[today] = DayTally(counted.get(Tally.INVITES, 0), counted.get(Tally.FOLLOW_UPS, 0))
    return days


async def open_reminders(
    db: Conn | asyncpg.Pool[Any], account: Account, as_of: datetime
) -> OpenReminders:
    row = await db.fetchrow(_REMINDERS, account.account_id, as_of, as_of - account.overdue_grace)
    assert row is not None  # scalar subqueries always answer one row
    return OpenReminders(**row)


async def stats_inputs(
    pool: asyncpg.Pool[Any], account: Account, period: Period, as_of: datetime
) -> StatsInputs:
    """What the dashboard needs, read by independent statements at once, each on a connection
    of its own: the request waits for the slowest read instead of the sum of all (each is a
    separate snapshot anyway, as consecutive statements on one connection would be)."""
    window = (account.account_id, period.start, period.end, as_of)
    async with asyncio.TaskGroup() as reads:
        tallies = reads.create_task(pool.fetch(_TALLIES, *window))
        counts = reads.create_task(pool.fetchrow(_CUSTOMER_COUNTS, *window, as_of - HEALTHY_WITHIN))
        state_rows = reads.create_task(pool.fetch(_STATES, account.account_id))
        cohort = reads.create_task(pool.fetch(_COHORT, *window))
        replies = reads.create_task(pool.fetch(_REPLIES, *window))
        reminders = reads.create_task(open_reminders(pool, account, as_of))
        days = reads.create_task(
            _pooled(
                pool,
                lambda conn: day_tallies(
                    conn, account.account_id, account.zone, as_of, STREAK_HORIZON_DAYS
                ),
            )
        )
    counted = counts.result()
    assert counted is not None  # aggregates always answer one row
    states = [
        StateCount(
            Status(g["status"]),
            BookingState(g["booking_state"]),
            g["joined_team"],
            g["opted_out"],
            g["customers"],
        )
        for g in state_rows.result()
    ]
    return StatsInputs(
        period=period,
        as_of=as_of,
        tallies={Tally(r["tally"]): r["n"] for r in tallies.result()},
        new_leads=counted["new_leads"],
        dms_started=len(replies.result()),
        signed_up=counted["signed_up"],
        reminders_due=reminders.result().due,
        reminders_overdue=reminders.result().overdue,
        next_actions_overdue=counted["next_actions_overdue"],
        states=states,
        cohort=[
            FunnelCustomer(
                customer_id=r["customer_id"],
                qualified_at=r["qualified_at"],
                presented_at=r["presented_at"],
                signed_up_at=r["signed_up_at"],
                booked_at=r["booked_at"],
                held_at=r["held_at"],
                no_show_at=r["no_show_at"],
                bookings=tuple(r["bookings"]),
                no_shows=tuple(r["no_shows"]),
            )
            for r in cohort.result()
        ],
        replies=[FirstReply(r["dm_at"], r["reply_at"]) for r in replies.result()],
        healthy=counted["healthy"],
        open_customers=sum(
            row.customers for row in states if row.status in OPEN_STATUSES and not row.opted_out
        ),
        targets=targets_of(account),
        days=days.result(),
    )


async def _pooled(pool: asyncpg.Pool[Any], read: Callable[[Conn], Awaitable[T]]) -> T:
    async with pool.acquire() as conn:
        return await read(conn)
