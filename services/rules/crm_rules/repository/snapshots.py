"""Each customer's replay snapshot, with the head it stands for (crm_rules.policy.snapshot)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crm_rules.policy.snapshot import ReplaySnapshot
from crm_rules.repository.customers import CustomerKey
from crm_servicekit.connection import Conn


@dataclass(frozen=True)
class Standing:
    """Where a customer stands in the store before a batch."""

    head: uuid.UUID | None  # None: nothing of theirs written yet
    snapshot: ReplaySnapshot | None  # the one written with that head, if any
    settings_version: int  # the account's settings history the snapshot was made under
    known: frozenset[str]  # of the event ids asked, those stored already


async def standings(
    conn: Conn, asked: Mapping[CustomerKey, Sequence[str]]
) -> dict[CustomerKey, Standing]:
    """For each customer: their head, the snapshot that stands for it, and which of the event
    ids asked they have stored; one statement for the batch."""
    pairs = [(key, event_id) for key, ids in asked.items() for event_id in ids]
    rows = await conn.fetch(
        """
        WITH asked AS (
            SELECT * FROM unnest($3::text[], $4::uuid[], $5::text[])
                AS q(account_id, customer_id, event_id)
        ), known AS (
            SELECT q.account_id, q.customer_id, array_agg(q.event_id) AS event_ids
            FROM asked q JOIN customer_events e
              ON e.account_id = q.account_id AND e.customer_id = q.customer_id
             AND e.event_id = q.event_id
            GROUP BY q.account_id, q.customer_id
        )
        SELECT k.account_id, k.customer_id, h.head, s.snapshot, s.settings_version, n.event_ids
        FROM unnest($1::text[], $2::uuid[]) AS k(account_id, customer_id)
        LEFT JOIN customer_heads h
          ON h.account_id = k.account_id AND h.customer_id = k.customer_id
        LEFT JOIN replay_snapshots s
          ON s.account_id = k.account_id AND s.customer_id = k.customer_id AND s.head = h.head
        LEFT JOIN known n ON n.account_id = k.account_id AND n.customer_id = k.customer_id
        """,
        [a for a, _ in asked],
        [c for _, c in asked],
        [key[0] for key, _ in pairs],
        [key[1] for key, _ in pairs],
        [event_id for _, event_id in pairs],
    )
    return {
        (row["account_id"], row["customer_id"]): Standing(
            row["head"],
            ReplaySnapshot.model_validate_json(row["snapshot"]) if row["snapshot"] else None,
            row["settings_version"] or 0,
            frozenset(row["event_ids"] or ()),
        )
        for row in rows
    }


async def save_snapshots(
    conn: Conn, snapshots: Sequence[tuple[CustomerKey, ReplaySnapshot, int]]
) -> dict[CustomerKey, uuid.UUID]:
    """Write each customer's snapshot over the one before, stamped with their head as this
    transaction's writes left it (the triggers renewed it) and with the version of the
    settings history it was made under; returns those heads. A customer without a head
    (nothing of theirs written) gets none."""
    if not snapshots:
        return {}
    rows = await conn.fetch(
        """
        INSERT INTO replay_snapshots (account_id, customer_id, head, snapshot, settings_version)
        SELECT k.account_id, k.customer_id, h.head, k.snapshot, k.settings_version
        FROM unnest($1::text[], $2::uuid[], $3::text[], $4::integer[])
            AS k(account_id, customer_id, snapshot, settings_version)
        JOIN customer_heads h ON h.account_id = k.account_id AND h.customer_id = k.customer_id
        ON CONFLICT (account_id, customer_id) DO UPDATE
            SET head = EXCLUDED.head, snapshot = EXCLUDED.snapshot,
                settings_version = EXCLUDED.settings_version
        RETURNING account_id, customer_id, head
        """,
        [key[0] for key, _, _ in snapshots],
        [key[1] for key, _, _ in snapshots],
        [snapshot.model_dump_json() for _, snapshot, _ in snapshots],
        [version for _, _, version in snapshots],
    )
    return {(row["account_id"], row["customer_id"]): row["head"] for row in rows}
