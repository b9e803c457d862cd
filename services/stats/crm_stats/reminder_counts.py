"""Reminders open now per account, kept as deltas so the dashboard never counts them all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from crm_servicekit.connection import Conn

ReminderKey = tuple[str, UUID]  # account_id, reminder_id


async def open_now(conn: Conn, keys: Iterable[ReminderKey]) -> dict[str, int]:
    """Per account, how many of these reminders are open now (closed_at IS NULL)."""
    distinct = sorted(set(keys))
    rows = await conn.fetch(
        "SELECT r.account_id, count(*) AS n FROM reminders r "
        "JOIN unnest($1::text[], $2::uuid[]) AS k(account_id, reminder_id) "
        "ON r.account_id = k.account_id AND r.reminder_id = k.reminder_id "
        "WHERE r.closed_at IS NULL GROUP BY r.account_id",
        [account for account, _ in distinct],
        [reminder for _, reminder in distinct],
    )
    return {row["account_id"]: row["n"] for row in rows}


def net_opened(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """Net change of open reminders per account between two counts of the same reminders."""
    delta = {a: after.get(a, 0) - before.get(a, 0) for a in before.keys() | after.keys()}
    return {account: n for account, n in delta.items() if n}


async def add_open(conn: Conn, delta: Mapping[str, int]) -> None:
    # Sorted, so two consumers moving the same accounts lock them in one order (no deadlock).
    rows = sorted(delta.items())
    if rows:
        await conn.executemany(
            "INSERT INTO reminder_counts AS c (account_id, open_reminders) VALUES ($1, $2) "
            "ON CONFLICT (account_id) DO UPDATE "
            "SET open_reminders = c.open_reminders + EXCLUDED.open_reminders",
            rows,
        )


async def delete_reminders_of(conn: Conn, account_id: str, customers: list[UUID]) -> None:
    """A deleted customer's reminders leave the store, and their open ones the counter."""
    closed_now = await conn.fetchval(
        "WITH gone AS (DELETE FROM reminders WHERE account_id = $1 "
        "AND customer_id = ANY($2::uuid[]) RETURNING closed_at) "
        "SELECT count(*) FROM gone WHERE closed_at IS NULL",
        account_id,
        customers,
    )
    await add_open(conn, net_opened({account_id: closed_now}, {}))
