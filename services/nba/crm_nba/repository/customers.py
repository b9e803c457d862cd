"""The stored customers: fold, projection and the recommendation that holds, per customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_nba.policy.projection import Fold, Projection
from crm_nba.policy.transitions import Assessment
from crm_schemas.system_properties import Recommendation
from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns

CustomerKey = tuple[str, UUID]
# A stored recommendation holds in [valid_from, next_change_at); $2 is the instant asked.
HOLDS_AT = (
    "(next_change_at IS NULL OR next_change_at > $2) AND (valid_from IS NULL OR valid_from <= $2)"
)


@dataclass(frozen=True)
class StoredCustomer:
    projection: Projection
    recommendation: Recommendation
    valid_from: datetime | None
    next_change_at: datetime | None


@dataclass(frozen=True)
class Folded:
    """What a recompute continues from: the recommendation announced last, and the fold
    (None for a row stored before folds were kept)."""

    recommendation: Recommendation
    fold: Fold | None


async def stored_folds(conn: Conn, keys: Sequence[CustomerKey]) -> dict[CustomerKey, Folded]:
    """The stored customers among `keys`, locked in key order (one order for every writer),
    so two writers of one customer continue each other's fold rather than the same one."""
    rows = await conn.fetch(
        """
        SELECT c.account_id, c.customer_id, c.recommendation, c.fold
        FROM nba_customers c
        JOIN unnest($1::text[], $2::uuid[]) AS k(account_id, customer_id)
          ON c.account_id = k.account_id AND c.customer_id = k.customer_id
        ORDER BY c.account_id, c.customer_id
        FOR UPDATE OF c
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {
        (r["account_id"], r["customer_id"]): Folded(
            Recommendation.model_validate_json(r["recommendation"]),
            Fold.model_validate_json(r["fold"]) if r["fold"] is not None else None,
        )
        for r in rows
    }


@dataclass(frozen=True)
class CustomerRow:
    account_id: str
    fold: Fold
    projection: Projection
    assessment: Assessment


async def save_customers(conn: Conn, rows: Sequence[CustomerRow]) -> None:
    """Upsert a batch's customers in one statement; fold, projection and recommendation go
    as JSON text made by pydantic (no intermediate dicts), stored as it is."""
    if not rows:
        return
    values: list[tuple[Any, ...]] = []
    for row in rows:
        p, a = row.projection, row.assessment
        rec = a.recommendation
        values.append((
            row.account_id, p.customer_id, p.model_dump_json(), rec.model_dump_json(),
            rec.action, rec.priority, rec.due_at, p.last_activity_at,
            p.state.booking.state.value, p.deleted, a.valid_from, a.next_change_at,
            rec.computed_at, row.fold.model_dump_json(),
        ))  # fmt: skip
    await conn.execute(
        """
        INSERT INTO nba_customers (account_id, customer_id, projection, recommendation, action,
            priority, due_at, last_activity_at, booking_state, deleted, valid_from,
            next_change_at, computed_at, fold)
        SELECT account_id, customer_id, projection, recommendation, action,
            priority, due_at, last_activity_at, booking_state, deleted, valid_from,
            next_change_at, computed_at, fold
        FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::smallint[],
            $7::timestamptz[], $8::timestamptz[], $9::text[], $10::boolean[],
            $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::text[])
            AS r(account_id, customer_id, projection, recommendation, action, priority, due_at,
                 last_activity_at, booking_state, deleted, valid_from, next_change_at,
                 computed_at, fold)
        ON CONFLICT (account_id, customer_id) DO UPDATE SET
            projection = EXCLUDED.projection, recommendation = EXCLUDED.recommendation,
            action = EXCLUDED.action, priority = EXCLUDED.priority, due_at = EXCLUDED.due_at,
            last_activity_at = EXCLUDED.last_activity_at,
            booking_state = EXCLUDED.booking_state, deleted = EXCLUDED.deleted,
            valid_from = EXCLUDED.valid_from, next_change_at = EXCLUDED.next_change_at,
            computed_at = EXCLUDED.computed_at, fold = EXCLUDED.fold
        """,
        *as_columns(values),
    )


async def customers_due_for_timer(
    conn: Conn, now: datetime, limit: int
) -> list[tuple[CustomerKey, datetime]]:
    """Customers whose answer changes by now, with when; locked so replicas share the work."""
    rows = await conn.fetch(
        """
        SELECT account_id, customer_id, next_change_at FROM nba_customers
        WHERE next_change_at <= $1
        ORDER BY next_change_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        now,
        limit,
    )
    return [((r["account_id"], r["customer_id"]), r["next_change_at"]) for r in rows]


async def with_open_reminders(conn: Conn, account: str) -> list[CustomerKey]:
    """The account's customers with an open reminder: those whose answer the overdue_grace
    decides. Read when the account's settings change, which is rare, so the projection's
    JSON is looked into rather than kept in a column of its own."""
    rows = await conn.fetch(
        """
        SELECT customer_id FROM nba_customers
        WHERE account_id = $1 AND NOT deleted
          AND projection::jsonb -> 'open_reminders' <> '[]'::jsonb
        ORDER BY customer_id
        """,
        account,
    )
    return [(account, r["customer_id"]) for r in rows]


def _stored(row: Any) -> StoredCustomer:
    return StoredCustomer(
        projection=Projection.model_validate_json(row["projection"]),
        recommendation=Recommendation.model_validate_json(row["recommendation"]),
        valid_from=row["valid_from"],
        next_change_at=row["next_change_at"],
    )


async def stored_customer(conn: Conn, account: str, customer: UUID) -> StoredCustomer | None:
    row = await conn.fetchrow(
        """
        SELECT projection, recommendation, valid_from, next_change_at FROM nba_customers
        WHERE account_id = $1 AND customer_id = $2 AND NOT deleted
        """,
        account,
        customer,
    )
    return _stored(row) if row else None
