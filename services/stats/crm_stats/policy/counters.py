"""How the consumer's counters move: live customers per pipeline state and reminders open
now per account are kept as deltas, so the dashboard never scans customers or reminders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

StateKey = tuple[str, str, bool, bool]  # status, booking state, joined_team, opted_out


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


def net_opened(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """Net change of open reminders per account between two counts of the same reminders."""
    delta = {a: after.get(a, 0) - before.get(a, 0) for a in before.keys() | after.keys()}
    return {account: n for account, n in delta.items() if n}
