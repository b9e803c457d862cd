"""De-duplication records: one per (account, event id), pending until published."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_servicekit.connection import Conn

PENDING = "pending"
PUBLISHED = "published"


@dataclass(frozen=True)
class EventRecord:
    event_id: str
    content_hash: str
    state: str
    customer_id: UUID | None
    message: bytes | None


async def insert_records(
    conn: Conn, account_id: str, hashes: dict[str, str], now: datetime
) -> set[str]:
    """Create pending records; the event ids returned are new. A concurrent insert of the same
    id waits here until the other transaction ends (the unique index), then is not new."""
    ids = sorted(hashes)  # one order for everyone, so two batches cannot deadlock
    rows = await conn.fetch(
        """
        INSERT INTO event_records (account_id, event_id, content_hash, state, created_at)
        SELECT $1, e.id, e.hash, 'pending', $4
        FROM unnest($2::text[], $3::text[]) AS e(id, hash)
        ON CONFLICT DO NOTHING
        RETURNING event_id
        """,
        account_id,
        ids,
        [hashes[i] for i in ids],
        now,
    )
    return {row["event_id"] for row in rows}


async def read_records(
    conn: Conn, account_id: str, event_ids: Sequence[str], *, lock: bool = False
) -> dict[str, EventRecord]:
    """The records of these ids; with ``lock``, row locks held until the transaction ends."""
    rows = await conn.fetch(
        f"""
        SELECT event_id, content_hash, state, customer_id, message FROM event_records
        WHERE account_id = $1 AND event_id = ANY($2::text[])
        ORDER BY event_id {"FOR UPDATE" if lock else ""}
        """,
        account_id,
        sorted(set(event_ids)),
    )
    return {
        row["event_id"]: EventRecord(
            row["event_id"], row["content_hash"], row["state"], row["customer_id"], row["message"]
        )
        for row in rows
    }


async def store_messages(
    conn: Conn, account_id: str, messages: dict[str, tuple[UUID, bytes]]
) -> None:
    ids = sorted(messages)
    await conn.execute(
        """
        UPDATE event_records r SET customer_id = m.customer_id, message = m.message
        FROM unnest($2::text[], $3::uuid[], $4::bytea[]) AS m(event_id, customer_id, message)
        WHERE r.account_id = $1 AND r.event_id = m.event_id
        """,
        account_id,
        ids,
        [messages[i][0] for i in ids],
        [messages[i][1] for i in ids],
    )


async def mark_published(
    conn: Conn, account_id: str, event_ids: Sequence[str], now: datetime
) -> None:
    await conn.execute(
        """
        UPDATE event_records SET state = 'published', published_at = $3
        WHERE account_id = $1 AND event_id = ANY($2::text[])
        """,
        account_id,
        list(event_ids),
        now,
    )


async def purge_records(conn: Conn, older_than: datetime) -> int:
    status = await conn.execute("DELETE FROM event_records WHERE created_at < $1", older_than)
    return int(status.split()[-1])


async def forget_records(conn: Conn, account_id: str, event_ids: Sequence[str]) -> None:
    await conn.execute(
        "DELETE FROM event_records WHERE account_id = $1 AND event_id = ANY($2::text[])",
        account_id,
        list(event_ids),
    )
