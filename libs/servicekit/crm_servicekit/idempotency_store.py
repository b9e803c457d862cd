"""SQL of the consumer runtime's own tables: processed events and tombstones."""

from __future__ import annotations

from collections.abc import Sequence

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.connection import Conn


async def claim_new(conn: Conn, events: Sequence[EventEnvelope]) -> list[EventEnvelope]:
    """Record (account_id, event_id) of each event; return those not processed before, in order.

    Runs inside the caller's transaction, so a rollback forgets the claims with the effects.
    """
    first_seen: dict[tuple[str, str], EventEnvelope] = {}
    for event in events:
        first_seen.setdefault((event.account_id, event.event_id), event)
    if not first_seen:
        return []
    accounts, ids = zip(*first_seen, strict=True)
    rows = await conn.fetch(
        """
        INSERT INTO processed_events (account_id, event_id)
        SELECT * FROM unnest($1::text[], $2::text[])
        ON CONFLICT DO NOTHING
        RETURNING account_id, event_id
        """,
        list(accounts),
        list(ids),
    )
    claimed = {(r["account_id"], r["event_id"]) for r in rows}
    return [event for key, event in first_seen.items() if key in claimed]


async def mark_processed(conn: Conn, events: Sequence[EventEnvelope]) -> None:
    """Record events as processed without consuming them: a service that applied a change
    itself and announces it marks the announcement, so reading it back from the topic is a
    repeat, while a rebuild (an empty store) applies it."""
    await claim_new(conn, events)


async def drop_tombstoned(
    conn: Conn, events: Sequence[EventEnvelope]
) -> tuple[list[EventEnvelope], int]:
    """Drop events of deleted customers; record the deletions this batch carries.

    Returns the events to apply and how many were dropped.
    """
    keyed = [e for e in events if e.customer_id is not None]
    deleted: set[tuple[str, object]] = set()
    if keyed:
        rows = await conn.fetch(
            """
            SELECT d.account_id, d.customer_id
            FROM deleted_customers d
            JOIN unnest($1::text[], $2::uuid[]) AS b(account_id, customer_id)
              ON d.account_id = b.account_id AND d.customer_id = b.customer_id
            """,
            [e.account_id for e in keyed],
            [e.customer_id for e in keyed],
        )
        deleted = {(r["account_id"], r["customer_id"]) for r in rows}
    live: list[EventEnvelope] = []
    dropped = 0
    for event in events:
        key = (event.account_id, event.customer_id)
        if event.customer_id is not None and key in deleted:
            dropped += 1
            continue
        live.append(event)
        if event.event_name is EventName.CUSTOMER_DELETED:
            deleted.add(key)
            await conn.execute(
                """
                INSERT INTO deleted_customers (account_id, customer_id, deleted_at, event_id)
                VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
                """,
                event.account_id,
                event.customer_id,
                event.timestamp,
                event.event_id,
            )
    return live, dropped
