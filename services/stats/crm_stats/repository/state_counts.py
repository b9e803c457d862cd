"""Live customers per pipeline state of an account, moved by the consumer as deltas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_schemas.pipeline import BookingState, Status
from crm_servicekit.connection import Conn
from crm_stats.policy.counters import StateKey
from crm_stats.policy.figures import StateCount
from crm_stats.repository import Reader

_ADD = """
INSERT INTO state_counts AS s (account_id, status, booking_state, joined_team, opted_out,
    customers) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (account_id, status, booking_state, joined_team, opted_out)
DO UPDATE SET customers = s.customers + EXCLUDED.customers
"""

_STATES = """
SELECT status, booking_state, joined_team, opted_out, customers FROM state_counts
WHERE account_id = $1 AND customers > 0
"""


async def add_moves(conn: Conn, account_id: str, delta: Mapping[StateKey, int]) -> None:
    # Sorted, so two consumers touching the same keys lock them in one order (no deadlock).
    rows: list[tuple[Any, ...]] = [(account_id, *key, n) for key, n in sorted(delta.items())]
    if rows:
        await conn.executemany(_ADD, rows)


async def states(db: Reader, account_id: str) -> list[StateCount]:
    """The account's live customers per state (only states someone is in)."""
    return [
        StateCount(
            Status(row["status"]),
            BookingState(row["booking_state"]),
            row["joined_team"],
            row["opted_out"],
            row["customers"],
        )
        for row in await db.fetch(_STATES, account_id)
    ]
