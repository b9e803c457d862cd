"""Live customers per pipeline state, kept as deltas so by_status never scans customers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from crm_schemas.pipeline import PipelineState
from crm_servicekit.connection import Conn

StateKey = tuple[str, str, bool, bool]  # status, booking state, joined_team, opted_out


def key_of(state: PipelineState) -> StateKey:
    return (state.status.value, state.booking.state.value, state.joined_team, state.opted_out)


async def current_keys(
    conn: Conn, account_id: str, customers: Iterable[UUID]
) -> dict[UUID, StateKey | None]:
    """Each known customer's counted key; None while deleted or not yet announced."""
    rows = await conn.fetch(
        "SELECT customer_id, status, booking_state, joined_team, opted_out, deleted "
        "FROM customer_milestones WHERE account_id = $1 AND customer_id = ANY($2::uuid[])",
        account_id,
        list(customers),
    )
    return {row["customer_id"]: counted_key(row) for row in rows}


def counted_key(row: Mapping[str, Any]) -> StateKey | None:
    """A customer_milestones row's counted key; None while deleted or not yet announced."""
    if row["deleted"] or row["status"] is None:
        return None
    return (row["status"], row["booking_state"], row["joined_team"], row["opted_out"])


def moves(
    before: Mapping[UUID, StateKey | None], after: Mapping[UUID, StateKey | None]
) -> dict[StateKey, int]:
    """Net change per key between two snapshots of the same customers."""
    delta: dict[StateKey, int] = {}
    for customer, new in after.items():
        old = before.get(customer)
        if old == new:
            continue
        if old is not None:
            delta[old] = delta.get(old, 0) - 1
        if new is not None:
            delta[new] = delta.get(new, 0) + 1
    return {key: n for key, n in delta.items() if n}


async def add_moves(conn: Conn, account_id: str, delta: Mapping[StateKey, int]) -> None:
    # Sorted, so two consumers touching the same keys lock them in one order (no deadlock).
    rows: list[tuple[Any, ...]] = [(account_id, *key, n) for key, n in sorted(delta.items())]
    if rows:
        await conn.executemany(
            "INSERT INTO state_counts AS s (account_id, status, booking_state, joined_team, "
            "opted_out, customers) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (account_id, status, booking_state, joined_team, opted_out) "
            "DO UPDATE SET customers = s.customers + EXCLUDED.customers",
            rows,
        )
