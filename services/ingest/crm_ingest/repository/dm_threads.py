"""DM threads: the first DM per (customer, platform) starts a thread."""

from __future__ import annotations

from uuid import UUID

from crm_servicekit.connection import Conn


async def open_dm_threads(
    conn: Conn, account_id: str, openers: dict[tuple[UUID, str], str]
) -> set[str]:
    """Open a DM thread per (customer, platform) unless one is open; each value is the event
    id that would open it. Returns the event ids that did (the first DM of their thread)."""
    keys = sorted(openers)  # one lock order for everyone, so two requests cannot deadlock
    rows = await conn.fetch(
        """
        INSERT INTO dm_threads (account_id, customer_id, platform, first_event_id)
        SELECT $1, t.customer_id, t.platform, t.event_id
        FROM unnest($2::uuid[], $3::text[], $4::text[]) AS t(customer_id, platform, event_id)
        ON CONFLICT DO NOTHING
        RETURNING first_event_id
        """,
        account_id,
        [customer for customer, _ in keys],
        [platform for _, platform in keys],
        [openers[key] for key in keys],
    )
    return {row["first_event_id"] for row in rows}
