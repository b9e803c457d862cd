"""The customer each booking-tool booking was resolved to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from crm_servicekit.connection import Conn


async def live_booking_customers(
    conn: Conn, account_id: str, bookings: Sequence[str]
) -> dict[str, UUID]:
    """The customer of each of these bookings ingest knows, unless that customer is deleted."""
    rows = await conn.fetch(
        """
        SELECT b.booking, b.customer_id FROM booking_customers b
        WHERE b.account_id = $1 AND b.booking = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM deleted_customers d
                          WHERE d.account_id = $1 AND d.customer_id = b.customer_id)
        """,
        account_id,
        list(bookings),
    )
    return {row["booking"]: row["customer_id"] for row in rows}


async def record_booking_customers(
    conn: Conn, account_id: str, bookings: Mapping[str, UUID], now: datetime
) -> None:
    """Remember each booking's customer; a booking already known keeps its first customer."""
    keys = sorted(bookings)  # one lock order for everyone, so two requests cannot deadlock
    await conn.execute(
        """
        INSERT INTO booking_customers (account_id, booking, customer_id, booked_at)
        SELECT $1, t.booking, t.customer_id, $4
        FROM unnest($2::text[], $3::uuid[]) AS t(booking, customer_id)
        ON CONFLICT DO NOTHING
        """,
        account_id,
        keys,
        [bookings[key] for key in keys],
        now,
    )


async def purge_booking_customers(conn: Conn, older_than: datetime) -> int:
    """Forget bookings first resolved before `older_than`: their later deliveries resolve
    afresh (by the link's reference, then the invitee's email and phone)."""
    status = await conn.execute("DELETE FROM booking_customers WHERE booked_at < $1", older_than)
    return int(status.split()[-1])


async def forget_booking_customers(conn: Conn, pairs: Sequence[tuple[str, UUID]]) -> None:
    """A deleted customer's bookings lead to nobody: their later deliveries resolve afresh."""
    if not pairs:
        return
    await conn.execute(
        """
        DELETE FROM booking_customers b
        USING unnest($1::text[], $2::uuid[]) AS d(account_id, customer_id)
        WHERE b.account_id = d.account_id AND b.customer_id = d.customer_id
        """,
        [account for account, _ in pairs],
        [customer for _, customer in pairs],
    )
