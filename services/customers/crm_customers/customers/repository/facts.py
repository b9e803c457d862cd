"""Every SQL statement about customers' stored history entries (`customer_facts`)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from crm_customers.customers.policy.history import Entry
from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns


async def add_entry(conn: Conn, account_id: str, customer_id: UUID, entry: Entry) -> bool:
    """Store one entry of the customer's history; False when it is stored already."""
    added = await conn.fetchval(
        "INSERT INTO customer_facts (account_id, customer_id, event_id, entry, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
        account_id,
        customer_id,
        entry.event_id,
        entry.model_dump(mode="json"),
        entry.timestamp,
    )
    return bool(added)


async def add_entries(conn: Conn, rows: Sequence[tuple[str, UUID, Entry]]) -> None:
    """Store several new entries in one statement (a batch's facts)."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO customer_facts (account_id, customer_id, event_id, entry, occurred_at)"
        " SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[],"
        " $5::timestamptz[]) ON CONFLICT DO NOTHING",
        *as_columns(
            [(a, c, e.event_id, e.model_dump(mode="json"), e.timestamp) for a, c, e in rows]
        ),
    )


async def stored_facts(
    conn: Conn, keys: Sequence[tuple[str, UUID, str]]
) -> set[tuple[str, UUID, str]]:
    """Which of these (account, customer, event_id) entries are stored already."""
    if not keys:
        return set()
    rows = await conn.fetch(
        "SELECT f.account_id, f.customer_id, f.event_id FROM customer_facts f"
        " JOIN unnest($1::text[], $2::uuid[], $3::text[]) AS k(account_id, customer_id, event_id)"
        " ON f.account_id = k.account_id AND f.customer_id = k.customer_id"
        " AND f.event_id = k.event_id",
        *as_columns(keys),
    )
    return {(r["account_id"], r["customer_id"], r["event_id"]) for r in rows}


async def entries(conn: Conn, account_id: str, customer_id: UUID) -> list[Entry]:
    rows = await conn.fetch(
        "SELECT entry FROM customer_facts WHERE account_id = $1 AND customer_id = $2",
        account_id,
        customer_id,
    )
    return [Entry.model_validate(row["entry"]) for row in rows]
