"""The customers list: whitelisted sorts, typed filters, keyset pagination."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.repository.customers import COLUMNS, customer_of
from crm_schemas.pipeline import BookingState, Status
from crm_servicekit.connection import Conn

# Whitelisted sorts: the SQL expression (never null, so keyset pagination holds) per field.
SORTS: dict[str, str] = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "name": "coalesce(lower(name), '')",
    "last_activity_at": "coalesce(last_activity_at, '1970-01-01T00:00:00Z'::timestamptz)",
    "status": "status",
}
# The sorts by text; the others are by a time.
TEXT_SORTS = frozenset({"name", "status"})


@dataclass(frozen=True)
class ListQuery:
    account_id: str
    statuses: Sequence[tuple[Status, BookingState | None, bool | None]] = ()
    q: str | None = None
    sort: str = "created_at"
    descending: bool = False
    after: tuple[datetime | str, UUID] | None = None
    limit: int = 50


def _like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


async def list_customers(conn: Conn, query: ListQuery) -> list[tuple[Any, Customer]]:
    """Up to limit + 1 customers with their sort value, in the asked order."""
    expression = SORTS[query.sort]
    where = ["account_id = $1"]
    args: list[Any] = [query.account_id]
    if query.statuses:
        # The pool's jsonb codec encodes it.
        args.append([[s, b, j] for s, b, j in query.statuses])
        where.append(
            f"EXISTS (SELECT 1 FROM jsonb_array_elements(${len(args)}::jsonb) AS w(v)"
            " WHERE w.v->>0 = status"
            " AND (w.v->>1 IS NULL OR w.v->>1 = booking->>'state')"
            " AND (w.v->2 = 'null'::jsonb OR (w.v->>2)::boolean = joined_team))"
        )
    if query.q:
        args.append(_like_pattern(query.q))
        n = len(args)
        where.append(
            f"(lower(coalesce(name, '')) LIKE ${n} OR coalesce(email, '') LIKE ${n}"
            f" OR coalesce(phone, '') LIKE ${n} OR lower(handles::text) LIKE ${n})"
        )
    comparison = "<" if query.descending else ">"
    if query.after is not None:
        args.extend(query.after)
        key = f"${len(args) - 1}::{_cast(query.sort)}, ${len(args)}"
        where.append(f"({expression}, id) {comparison} ({key})")
    direction = "DESC" if query.descending else "ASC"
    args.append(query.limit + 1)
    rows = await conn.fetch(
        f"SELECT account_id, id, {COLUMNS}, {expression} AS sort_value FROM customers"
        f" WHERE {' AND '.join(where)}"
        f" ORDER BY {expression} {direction}, id {direction} LIMIT ${len(args)}",
        *args,
    )
    return [(row["sort_value"], customer_of(row)) for row in rows]


def _cast(sort: str) -> str:
    return "text" if sort in TEXT_SORTS else "timestamptz"
