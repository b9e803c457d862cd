"""Customers as a whole: their keys, the lock that serializes their writers, their owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from crm_servicekit.connection import Conn

CustomerKey = tuple[str, uuid.UUID]  # (account_id, customer_id)


async def lock_customer(conn: Conn, account_id: str, customer_id: uuid.UUID) -> None:
    """Serialize the consumer and the API on one customer's reminders until commit."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{account_id}|{customer_id}"
    )


async def lock_customers(conn: Conn, keys: Sequence[CustomerKey]) -> None:
    """lock_customer for a whole batch in one statement, in a fixed order (no deadlocks)."""
    await conn.execute(
        """
        SELECT pg_advisory_xact_lock(h)
        FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k) AS locks
        ORDER BY h
        """,
        [f"{account}|{customer}" for account, customer in keys],
    )


async def of_customers(conn: Conn, select: str, keys: Sequence[CustomerKey]) -> list[Any]:
    """The rows of `select` (its table named x) of these customers, in one statement."""
    return await conn.fetch(
        f"""
        {select} JOIN unnest($1::text[], $2::uuid[]) AS k(account_id, customer_id)
          ON x.account_id = k.account_id AND x.customer_id = k.customer_id
        """,
        [a for a, _ in keys],
        [c for _, c in keys],
    )


async def belongs_to_another_account(conn: Conn, account_id: str, customer_id: uuid.UUID) -> bool:
    """Whether another account has events or reminders of this customer id."""
    return bool(
        await conn.fetchval(
            """
            SELECT EXISTS (SELECT FROM customer_events WHERE customer_id = $2 AND account_id <> $1)
                OR EXISTS (SELECT FROM reminders WHERE customer_id = $2 AND account_id <> $1)
            """,
            account_id,
            customer_id,
        )
    )


async def is_deleted(conn: Conn, account_id: str, customer_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM deleted_customers WHERE account_id = $1 AND customer_id = $2",
            account_id,
            customer_id,
        )
    )
