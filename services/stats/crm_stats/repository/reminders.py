"""Reminders of each customer, and the counter of those open now per account (moved as
deltas, so the dashboard never counts them all)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns, rounds
from crm_stats.policy.counters import net_opened
from crm_stats.policy.figures import OpenReminders
from crm_stats.policy.milestones import ReminderChange, ReminderStatus
from crm_stats.repository import Reader

ReminderKey = tuple[str, UUID]  # account_id, reminder_id

# A batch can change one reminder several times (created, moved, due...), and one statement
# may change a row only once: the rows go in rounds, the n-th change of each reminder in the
# n-th round, so every reminder's changes apply in their order.
#
# Each round answers how many reminders it opened net per account: those open after it, less
# those open before it (`before` reads the rows as the statement found them: its
# sub-statements share one snapshot). Over the rounds these add up to the batch's net change
# of the accounts' open reminders, with no read of the reminders before the batch.
_UPSERT = """
WITH u AS (
    SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[],
        $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])
        AS u(account_id, reminder_id, customer_id, type, scheduled_for, status, completed_by,
             opened_at, closed_at)
), before AS (
    SELECT r.account_id FROM reminders r JOIN u USING (account_id, reminder_id)
    WHERE r.closed_at IS NULL
), upserted AS (
    INSERT INTO reminders AS r (account_id, reminder_id, customer_id, type, scheduled_for,
        status, completed_by, opened_at, closed_at)
    SELECT * FROM u
    ON CONFLICT (account_id, reminder_id) DO UPDATE SET
        scheduled_for = CASE WHEN r.closed_at IS NULL THEN EXCLUDED.scheduled_for
                             ELSE r.scheduled_for END,
        status = CASE WHEN r.closed_at IS NULL THEN EXCLUDED.status ELSE r.status END,
        completed_by = CASE WHEN r.closed_at IS NULL THEN EXCLUDED.completed_by
                            ELSE r.completed_by END,
        opened_at = CASE WHEN r.closed_at IS NULL AND EXCLUDED.closed_at IS NULL
                         THEN LEAST(r.opened_at, EXCLUDED.opened_at) ELSE r.opened_at END,
        closed_at = COALESCE(r.closed_at, EXCLUDED.closed_at)
    RETURNING account_id, closed_at
)
SELECT account_id, sum(n)::integer AS opened FROM (
    SELECT account_id, 1 AS n FROM upserted WHERE closed_at IS NULL
    UNION ALL
    SELECT account_id, -1 FROM before
) AS moved
GROUP BY account_id
"""

_ADD_OPEN = """
INSERT INTO reminder_counts AS c (account_id, open_reminders) VALUES ($1, $2)
ON CONFLICT (account_id) DO UPDATE SET open_reminders = c.open_reminders + EXCLUDED.open_reminders
"""

_DELETE_OF = """
WITH gone AS (DELETE FROM reminders WHERE account_id = $1 AND customer_id = ANY($2::uuid[])
    RETURNING closed_at)
SELECT count(*) FROM gone WHERE closed_at IS NULL
"""

# Open at as_of, from the consumer's counter of reminders open now: only reminders scheduled
# or opened after as_of, closed after it, or scheduled within the grace are read, each range
# by an index. Those within the grace are the open ones and those closed after as_of, so two
# partial indexes serve them and no index of all reminders is kept for it (migration 0005).
# A deleted customer's reminders are removed with them.
_OPEN_AT = """
SELECT
    COALESCE((SELECT open_reminders FROM reminder_counts WHERE account_id = $1), 0) AS open_now,
    (SELECT count(*) FROM reminders WHERE account_id = $1 AND closed_at IS NULL
        AND scheduled_for > $2) AS scheduled_later,
    (SELECT count(*) FROM reminders WHERE account_id = $1 AND closed_at IS NULL
        AND opened_at > $2 AND scheduled_for <= $2) AS opened_later,
    (SELECT count(*) FROM reminders WHERE account_id = $1 AND closed_at > $2
        AND opened_at <= $2 AND scheduled_for <= $2) AS closed_later,
    (SELECT count(*) FROM reminders WHERE account_id = $1 AND closed_at IS NULL
        AND scheduled_for >= $3 AND scheduled_for <= $2 AND opened_at <= $2)
    + (SELECT count(*) FROM reminders WHERE account_id = $1 AND closed_at > $2
        AND scheduled_for >= $3 AND scheduled_for <= $2 AND opened_at <= $2) AS within_grace
"""


def _row(account_id: str, change: ReminderChange) -> tuple[Any, ...]:
    closed = change.at if change.status is not ReminderStatus.OPEN else None
    return (
        account_id,
        change.reminder_id,
        change.customer_id,
        change.type.value,
        change.scheduled_for,
        change.status.value,
        change.completed_by.value if change.completed_by else None,
        change.at,
        closed,
    )


async def upsert(conn: Conn, changes: Sequence[tuple[str, ReminderChange]]) -> dict[str, int]:
    """Apply the changes in their order; how many reminders they opened net, per account."""
    opened: dict[str, int] = {}
    for group in rounds([_row(account, change) for account, change in changes], 2):
        for row in await conn.fetch(_UPSERT, *as_columns(group)):
            opened[row["account_id"]] = opened.get(row["account_id"], 0) + row["opened"]
    return {account: n for account, n in opened.items() if n}


async def add_open(conn: Conn, delta: Mapping[str, int]) -> None:
    # Sorted, so two consumers moving the same accounts lock them in one order (no deadlock).
    rows = sorted(delta.items())
    if rows:
        await conn.executemany(_ADD_OPEN, rows)


async def delete_of(conn: Conn, account_id: str, customers: list[UUID]) -> None:
    """A deleted customer's reminders leave the store, and their open ones the counter."""
    closed_now = await conn.fetchval(_DELETE_OF, account_id, customers)
    await add_open(conn, net_opened({account_id: closed_now}, {}))


async def open_at(
    db: Reader, account_id: str, as_of: datetime, overdue_grace: timedelta
) -> OpenReminders:
    """The account's reminders open at as_of, and how many of them are past the grace (the
    caller's: the one in force at as_of)."""
    row = await db.fetchrow(_OPEN_AT, account_id, as_of, as_of - overdue_grace)
    assert row is not None  # scalar subqueries always answer one row
    return OpenReminders(**row)
