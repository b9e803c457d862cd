"""Identities: which customer each (kind, value) is linked to, per account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from crm_ingest.policy.identities import Identity, IdentityKind
from crm_servicekit.connection import Conn


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


async def held_by(
    conn: Conn, account_id: str, customer_ids: Sequence[UUID]
) -> dict[UUID, frozenset[Identity]]:
    """The emails, phones and handles (with the hashes) each of these customers holds."""
    if not customer_ids:
        return {}
    rows = await conn.fetch(
        """
        SELECT customer_id, kind, value FROM identities
        WHERE account_id = $1 AND customer_id = ANY($2::uuid[])
          AND kind IN ('email', 'email_sha256', 'phone', 'phone_sha256', 'handle')
        """,
        account_id,
        sorted(set(customer_ids)),
    )
    held: dict[UUID, set[Identity]] = {}
    for row in rows:
        identity = Identity(IdentityKind[row["kind"].upper()], row["value"])
        held.setdefault(row["customer_id"], set()).add(identity)
    return {customer: frozenset(identities) for customer, identities in held.items()}


async def unlink(
    conn: Conn, account_id: str, customer_id: UUID, identities: Sequence[Identity]
) -> set[Identity]:
    """Unlink those of the identities this customer holds (never another's); returns them."""
    if not identities:
        return set()
    ordered = sorted(identities)
    rows = await conn.fetch(
        """
        DELETE FROM identities i USING unnest($3::text[], $4::text[]) AS d(kind, value)
        WHERE i.account_id = $1 AND i.customer_id = $2 AND i.kind = d.kind AND i.value = d.value
        RETURNING i.kind, i.value
        """,
        account_id,
        customer_id,
        [identity.kind.label for identity in ordered],
        [identity.value for identity in ordered],
    )
    return {Identity(IdentityKind[row["kind"].upper()], row["value"]) for row in rows}
