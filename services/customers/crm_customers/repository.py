"""Every SQL statement about customers and their stored facts, scoped by account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from crm_customers.history import Entry, History
from crm_customers.records import Customer
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns

_COLUMNS = (
    "name, email, phone, handles, source, country, language, notes, prospect_why,"
    " next_action, next_action_date, person_next_action, person_next_action_date,"
    " nba_title, nba_due_at, consent, utm, status, booking, joined_team, opted_out,"
    " last_activity_at, latest_fact_at, latest_fact_id, created_at, updated_at"
)


def _values(c: Customer) -> list[Any]:
    dump = c.model_dump(mode="json")
    latest_at, latest_id = c.history.latest or (None, None)
    return [
        c.name,
        c.email,
        c.phone,
        dump["handles"],
        c.source,
        c.country,
        c.language,
        c.notes,
        c.prospect_why,
        c.next_action,
        c.next_action_date,
        c.person_next_action,
        c.person_next_action_date,
        c.nba_title,
        c.nba_due_at,
        dump["consent"],
        dump["utm"],
        c.state.status.value,
        dump["history"]["state"]["booking"],
        c.state.joined_team,
        c.state.opted_out,
        c.history.last_activity_at,
        latest_at,
        latest_id,
        c.created_at,
        c.updated_at,
    ]


def customer_of(row: asyncpg.Record) -> Customer:
    latest = (row["latest_fact_at"], row["latest_fact_id"]) if row["latest_fact_id"] else None
    state = PipelineState(
        status=Status(row["status"]),
        booking=Booking.model_validate(row["booking"]),
        joined_team=row["joined_team"],
        opted_out=row["opted_out"],
    )
    fields = {k: v for k, v in row.items() if k not in _HISTORY_COLUMNS and k != "sort_value"}
    return Customer.model_validate(
        {
            **fields,
            "history": History(
                state=state, last_activity_at=row["last_activity_at"], latest=latest
            ),
        }
    )


_HISTORY_COLUMNS = frozenset(
    {"status", "booking", "joined_team", "opted_out", "last_activity_at"}
    | {"latest_fact_at", "latest_fact_id"}
)


async def get(
    conn: Conn, account_id: str, customer_id: UUID, *, lock: bool = False
) -> Customer | None:
    row = await conn.fetchrow(
        f"SELECT account_id, id, {_COLUMNS} FROM customers WHERE account_id = $1 AND id = $2"
        + (" FOR UPDATE" if lock else ""),
        account_id,
        customer_id,
    )
    return customer_of(row) if row is not None else None


async def get_many(
    conn: Conn, keys: Sequence[tuple[str, UUID]]
) -> dict[tuple[str, UUID], Customer]:
    """Several customers by (account, id), locked in one order for everyone (no deadlock)."""
    if not keys:
        return {}
    ordered = sorted(set(keys))
    rows = await conn.fetch(
        f"SELECT account_id, id, {_COLUMNS} FROM customers"
        " WHERE (account_id, id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))"
        " ORDER BY account_id, id FOR UPDATE",
        [account_id for account_id, _ in ordered],
        [customer_id for _, customer_id in ordered],
    )
    customers = (customer_of(row) for row in rows)
    return {(customer.account_id, customer.id): customer for customer in customers}


async def insert(conn: Conn, customer: Customer) -> bool:
    """Insert a new customer; False when the id is taken (created a moment ago)."""
    placeholders = ", ".join(f"${n}" for n in range(3, 3 + len(_values(customer))))
    created = await conn.fetchval(
        f"INSERT INTO customers (account_id, id, {_COLUMNS}) VALUES ($1, $2, {placeholders})"
        " ON CONFLICT DO NOTHING RETURNING true",
        customer.account_id,
        customer.id,
        *_values(customer),
    )
    return bool(created)


async def save(conn: Conn, customer: Customer) -> None:
    await save_many(conn, [customer])


# Each column's type, for the arrays of save_many (in _COLUMNS' order).
_TYPES = {
    "handles": "jsonb",
    "consent": "jsonb",
    "utm": "jsonb",
    "booking": "jsonb",
    "next_action_date": "timestamptz",
    "person_next_action_date": "timestamptz",
    "nba_due_at": "timestamptz",
    "last_activity_at": "timestamptz",
    "latest_fact_at": "timestamptz",
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
    "joined_team": "boolean",
    "opted_out": "boolean",
}
_NAMES = [name.strip() for name in _COLUMNS.split(",")]
_UPDATE_MANY = (
    f"UPDATE customers c SET {', '.join(f'{n} = u.{n}' for n in _NAMES)}"
    " FROM unnest($1::text[], $2::uuid[], "
    + ", ".join(f"${i}::{_TYPES.get(n, 'text')}[]" for i, n in enumerate(_NAMES, start=3))
    + f") AS u(account_id, id, {', '.join(_NAMES)})"
    " WHERE c.account_id = u.account_id AND c.id = u.id"
)


async def save_many(conn: Conn, customers: Sequence[Customer]) -> None:
    """Several saves in one statement (each customer at most once, in key order: the order
    get_many locked them in). One UPDATE per row, even pipelined, was 8,400 statements of
    a 1k backtest's 14,000 in this database."""
    if customers:
        ordered = sorted(customers, key=lambda c: (c.account_id, c.id))
        await conn.execute(
            _UPDATE_MANY, *as_columns([(c.account_id, c.id, *_values(c)) for c in ordered])
        )


async def delete(conn: Conn, account_id: str, customer_id: UUID) -> None:
    for table, column in (("customer_facts", "customer_id"), ("interactions", "customer_id")):
        await conn.execute(
            f"DELETE FROM {table} WHERE account_id = $1 AND {column} = $2", account_id, customer_id
        )
    await conn.execute(
        "DELETE FROM customers WHERE account_id = $1 AND id = $2", account_id, customer_id
    )


async def add_entry(conn: Conn, account_id: str, customer_id: UUID, entry: Entry) -> bool:
    """Store one entry of the customer's history; False when it is stored already."""
    added = await conn.fetchval(
        "INSERT INTO customer_facts (account_id, customer_id, event_id, entry, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
        account_id,
        customer_id,
        entry.event_id,
        entry.model_dump(mode="json"),
        entry.timestamp,
    )
    return bool(added)


async def add_entries(conn: Conn, rows: Sequence[tuple[str, UUID, Entry]]) -> None:
    """Store several new entries in one statement (a batch's facts)."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO customer_facts (account_id, customer_id, event_id, entry, occurred_at)"
        " SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[],"
        " $5::timestamptz[]) ON CONFLICT DO NOTHING",
        *as_columns(
            [(a, c, e.event_id, e.model_dump(mode="json"), e.timestamp) for a, c, e in rows]
        ),
    )


async def stored_facts(
    conn: Conn, keys: Sequence[tuple[str, UUID, str]]
) -> set[tuple[str, UUID, str]]:
    """Which of these (account, customer, event_id) entries are stored already."""
    if not keys:
        return set()
    rows = await conn.fetch(
        "SELECT f.account_id, f.customer_id, f.event_id FROM customer_facts f"
        " JOIN unnest($1::text[], $2::uuid[], $3::text[]) AS k(account_id, customer_id, event_id)"
        " ON f.account_id = k.account_id AND f.customer_id = k.customer_id"
        " AND f.event_id = k.event_id",
        *as_columns(keys),
    )
    return {(r["account_id"], r["customer_id"], r["event_id"]) for r in rows}


async def entries(conn: Conn, account_id: str, customer_id: UUID) -> list[Entry]:
    rows = await conn.fetch(
        "SELECT entry FROM customer_facts WHERE account_id = $1 AND customer_id = $2",
        account_id,
        customer_id,
    )
    return [Entry.model_validate(row["entry"]) for row in rows]


async def mark_deleted(
    conn: Conn, account_id: str, customer_id: UUID, at: Any, event_id: str
) -> None:
    """Tombstone at once: facts consumed before our CUSTOMER_DELETED comes back are dropped."""
    await conn.execute(
        "INSERT INTO deleted_customers (account_id, customer_id, deleted_at, event_id)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        account_id,
        customer_id,
        at,
        event_id,
    )


async def is_deleted(conn: Conn, account_id: str, customer_id: UUID) -> bool:
    found = await conn.fetchval(
        "SELECT true FROM deleted_customers WHERE account_id = $1 AND customer_id = $2",
        account_id,
        customer_id,
    )
    return bool(found)


# -- Lists ---------------------------------------------------------------------------

# Whitelisted sorts: the SQL expression (never null, so keyset pagination holds) per field.
SORTS: dict[str, str] = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "name": "coalesce(lower(name), '')",
    "last_activity_at": "coalesce(last_activity_at, '1970-01-01T00:00:00Z'::timestamptz)",
    "status": "status",
}


@dataclass(frozen=True)
class ListQuery:
    account_id: str
    statuses: Sequence[tuple[Status, BookingState | None, bool | None]] = ()
    q: str | None = None
    sort: str = "created_at"
    descending: bool = False
    after: Any | None = None
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
        value, after_id = query.after
        args.extend([value, UUID(after_id)])
        key = f"${len(args) - 1}::text::{_cast(query.sort)}, ${len(args)}"
        where.append(f"({expression}, id) {comparison} ({key})")
    direction = "DESC" if query.descending else "ASC"
    args.append(query.limit + 1)
    rows = await conn.fetch(
        f"SELECT account_id, id, {_COLUMNS}, {expression} AS sort_value FROM customers"
        f" WHERE {' AND '.join(where)}"
        f" ORDER BY {expression} {direction}, id {direction} LIMIT ${len(args)}",
        *args,
    )
    return [(row["sort_value"], customer_of(row)) for row in rows]


def _cast(sort: str) -> str:
    return "text" if sort in ("name", "status") else "timestamptz"
