"""Each customer's replay snapshot, with the head it stands for (crm_rules.policy.snapshot)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from crm_rules.policy.snapshot import ReplaySnapshot
from crm_rules.repository.customers import CustomerKey
from crm_servicekit.connection import Conn


async def snapshots_at_heads(
    conn: Conn, heads: Mapping[CustomerKey, uuid.UUID]
) -> dict[CustomerKey, ReplaySnapshot]:
    """The snapshots written with exactly these heads: the ones that stand for the store."""
    rows = await conn.fetch(
        """
        SELECT x.account_id, x.customer_id, x.snapshot FROM replay_snapshots x
        JOIN unnest($1::text[], $2::uuid[], $3::uuid[]) AS k(account_id, customer_id, head)
          ON x.account_id = k.account_id AND x.customer_id = k.customer_id AND x.head = k.head
        """,
        [a for a, _ in heads],
        [c for _, c in heads],
        list(heads.values()),
    )
    return {
        (row["account_id"], row["customer_id"]): ReplaySnapshot.model_validate_json(row["snapshot"])
        for row in rows
    }


async def save_snapshots(
    conn: Conn, snapshots: Sequence[tuple[CustomerKey, uuid.UUID, ReplaySnapshot]]
) -> None:
    """Write each customer's snapshot with the head it stands for, over the one before."""
    if not snapshots:
        return
    await conn.execute(
        """
        INSERT INTO replay_snapshots (account_id, customer_id, head, snapshot)
        SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[])
        ON CONFLICT (account_id, customer_id) DO UPDATE
            SET head = EXCLUDED.head, snapshot = EXCLUDED.snapshot
        """,
        [key[0] for key, _, _ in snapshots],
        [key[1] for key, _, _ in snapshots],
        [head for _, head, _ in snapshots],
        [snapshot.model_dump_json() for _, _, snapshot in snapshots],
    )
