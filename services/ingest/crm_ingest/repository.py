"""Every SQL statement of ingest: de-duplication records, identities, customers, DM threads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_ingest.policy.identities import Identity, IdentityKind
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


async def linked_customers(
    conn: Conn, account_id: str, identities: Sequence[Identity]
) -> dict[Identity, UUID]:
    if not identities:
        return {}
    rows = await conn.fetch(
        """
        SELECT i.kind, i.value, i.customer_id FROM identities i
        JOIN unnest($2::text[], $3::text[]) AS w(kind, value)
          ON i.kind = w.kind AND i.value = w.value
        WHERE i.account_id = $1
        """,
        account_id,
        [identity.kind.label for identity in identities],
        [identity.value for identity in identities],
    )
    return {
        Identity(IdentityKind[row["kind"].upper()], row["value"]): row["customer_id"]
        for row in rows
    }


async def link_identities(
    conn: Conn, account_id: str, identities: Sequence[Identity], customer_id: UUID, now: datetime
) -> set[Identity]:
    """Link the identities not linked yet; returns those linked now (first link wins)."""
    if not identities:
        return set()
    ordered = sorted(identities)
    rows = await conn.fetch(
        """
        INSERT INTO identities (account_id, kind, value, customer_id, linked_at)
        SELECT $1, w.kind, w.value, $4, $5 FROM unnest($2::text[], $3::text[]) AS w(kind, value)
        ON CONFLICT DO NOTHING
        RETURNING kind, value
        """,
        account_id,
        [identity.kind.label for identity in ordered],
        [identity.value for identity in ordered],
        customer_id,
        now,
    )
    return {Identity(IdentityKind[row["kind"].upper()], row["value"]) for row in rows}


async def release_identities(conn: Conn, pairs: Sequence[tuple[str, UUID]]) -> int:
    """A deleted customer's identities are free again (docs/domain.md, deletion)."""
    if not pairs:
        return 0
    status = await conn.execute(
        """
        DELETE FROM identities i USING unnest($1::text[], $2::uuid[]) AS d(account_id, customer_id)
        WHERE i.account_id = d.account_id AND i.customer_id = d.customer_id
        """,
        [account for account, _ in pairs],
        [customer for _, customer in pairs],
    )
    return int(status.split()[-1])


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


async def forget_records(conn: Conn, account_id: str, event_ids: Sequence[str]) -> None:
    await conn.execute(
        "DELETE FROM event_records WHERE account_id = $1 AND event_id = ANY($2::text[])",
        account_id,
        list(event_ids),
    )


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


async def link_each(
    conn: Conn, account_id: str, links: dict[Identity, UUID], now: datetime
) -> set[Identity]:
    """Link each identity to its own customer unless linked; returns those linked now."""
    if not links:
        return set()
    ordered = sorted(links)
    rows = await conn.fetch(
        """
        INSERT INTO identities (account_id, kind, value, customer_id, linked_at)
        SELECT $1, w.kind, w.value, w.customer_id, $5
        FROM unnest($2::text[], $3::text[], $4::uuid[]) AS w(kind, value, customer_id)
        ON CONFLICT DO NOTHING
        RETURNING kind, value
        """,
        account_id,
        [identity.kind.label for identity in ordered],
        [identity.value for identity in ordered],
        [links[identity] for identity in ordered],
        now,
    )
    return {Identity(IdentityKind[row["kind"].upper()], row["value"]) for row in rows}
