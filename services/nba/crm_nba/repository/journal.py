"""The journal: every event a customer's projection depends on, in arrival order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from crm_nba.repository.customers import CustomerKey
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.connection import Conn


async def append_journal(conn: Conn, events: Sequence[EventEnvelope]) -> None:
    """Journal events the runtime claimed in this transaction: none of them can be in the
    journal already (migration 0007), so they are appended without a uniqueness check."""
    if not events:
        return
    # One statement for the batch; `seq` (arrival order) is drawn in the arrays' order.
    await conn.execute(
        """
        INSERT INTO nba_journal (account_id, customer_id, event_id, event)
        SELECT account_id, customer_id, event_id, event
        FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[])
            WITH ORDINALITY AS e(account_id, customer_id, event_id, event, arrival)
        ORDER BY arrival
        """,
        [e.account_id for e in events],
        [e.customer_id for e in events],
        [e.event_id for e in events],
        [e.model_dump_json(by_alias=True) for e in events],
    )


async def journals(
    conn: Conn, keys: Sequence[CustomerKey]
) -> dict[CustomerKey, list[EventEnvelope]]:
    """Each customer's journaled events in arrival order."""
    rows = await conn.fetch(
        """
        SELECT j.account_id, j.customer_id, j.event
        FROM nba_journal j
        JOIN unnest($1::text[], $2::uuid[]) AS k(account_id, customer_id)
          ON j.account_id = k.account_id AND j.customer_id = k.customer_id
        ORDER BY j.account_id, j.customer_id, j.seq
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    found: dict[CustomerKey, list[EventEnvelope]] = defaultdict(list)
    for row in rows:
        event = EventEnvelope.from_stored(row["event"])
        found[(row["account_id"], row["customer_id"])].append(event)
    return found
