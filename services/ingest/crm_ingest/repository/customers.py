"""Customers ingest knows: the owning account of each id, and the deleted ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from crm_servicekit.connection import Conn


async def remember_customer(conn: Conn, account_id: str, customer_id: UUID, now: datetime) -> str:
    """Record the customer id for this account unless known; returns the owning account."""
    row = await conn.fetchrow(
        """
        WITH new AS (
            INSERT INTO known_customers (customer_id, account_id, first_seen_at)
            VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING account_id
        )
        SELECT account_id FROM new
        UNION ALL SELECT account_id FROM known_customers WHERE customer_id = $1
        LIMIT 1
        """,
        customer_id,
        account_id,
        now,
    )
    return str(row["account_id"]) if row is not None else account_id


async def is_deleted(conn: Conn, account_id: str, customer_id: UUID) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM deleted_customers WHERE account_id = $1 AND customer_id = $2",
        account_id,
        customer_id,
    )
    return found is not None


async def deleted_among(conn: Conn, account_id: str, customer_ids: Sequence[UUID]) -> set[UUID]:
    rows = await conn.fetch(
        """
        SELECT customer_id FROM deleted_customers
        WHERE account_id = $1 AND customer_id = ANY($2::uuid[])
        """,
        account_id,
        list(customer_ids),
    )
    return {row["customer_id"] for row in rows}


async def remember_customers(
    conn: Conn, account_id: str, customer_ids: Sequence[UUID], now: datetime
) -> dict[UUID, str]:
    """Record unknown customer ids for this account; returns each id's owning account."""
    ids = sorted(set(customer_ids))
    await conn.execute(
        """
        INSERT INTO known_customers (customer_id, account_id, first_seen_at)
        SELECT id, $2, $3 FROM unnest($1::uuid[]) AS id ORDER BY id
        ON CONFLICT DO NOTHING
        """,
        ids,
        account_id,
        now,
    )
    rows = await conn.fetch(
        "SELECT customer_id, account_id FROM known_customers WHERE customer_id = ANY($1::uuid[])",
        ids,
    )
    return {row["customer_id"]: row["account_id"] for row in rows}


async def record_new_customers(
    conn: Conn, account_id: str, customer_ids: Sequence[UUID], now: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO known_customers (customer_id, account_id, first_seen_at)
        SELECT id, $2, $3 FROM unnest($1::uuid[]) AS id
        """,
        list(customer_ids),
        account_id,
        now,
    )


async def live_customers_among(
    conn: Conn, account_id: str, customer_ids: Sequence[UUID]
) -> set[UUID]:
    """Those of the ids ingest knows as this account's customers and not deleted."""
    rows = await conn.fetch(
        """
        SELECT k.customer_id FROM known_customers k
        WHERE k.account_id = $1 AND k.customer_id = ANY($2::uuid[])
          AND NOT EXISTS (SELECT 1 FROM deleted_customers d
                          WHERE d.account_id = $1 AND d.customer_id = k.customer_id)
        """,
        account_id,
        list(customer_ids),
    )
    return {row["customer_id"] for row in rows}
