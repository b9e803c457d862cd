"""Every SQL statement about interactions, scoped by account."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from crm_schemas.system_properties import Interaction
from crm_servicekit.connection import Conn

_COLUMNS = "id, customer_id, type, content, occurred_at, scheduled_for, completed"


def _interaction(row: asyncpg.Record) -> Interaction:
    return Interaction.model_validate(dict(row))


async def upsert(conn: Conn, account_id: str, interaction: Interaction, at: datetime) -> None:
    i = interaction
    await conn.execute(
        f"INSERT INTO interactions (account_id, {_COLUMNS}, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
        " ON CONFLICT (account_id, id) DO UPDATE SET type = excluded.type,"
        " content = excluded.content, occurred_at = excluded.occurred_at,"
        " scheduled_for = excluded.scheduled_for, completed = excluded.completed,"
        " updated_at = excluded.updated_at",
        account_id,
        i.id,
        i.customer_id,
        i.type.value,
        i.content,
        i.occurred_at,
        i.scheduled_for,
        i.completed,
        at,
    )


async def get(conn: Conn, account_id: str, interaction_id: UUID) -> Interaction | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM interactions WHERE account_id = $1 AND id = $2 FOR UPDATE",
        account_id,
        interaction_id,
    )
    return _interaction(row) if row is not None else None


async def delete(conn: Conn, account_id: str, interaction_id: UUID) -> None:
    await conn.execute(
        "DELETE FROM interactions WHERE account_id = $1 AND id = $2", account_id, interaction_id
    )


async def of_customer(
    conn: Conn, account_id: str, customer_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> list[Interaction]:
    """Newest first, keyed by (occurred_at, id); up to limit + 1."""
    args: list[Any] = [account_id, customer_id]
    keyset = ""
    if after is not None:
        args.extend(after)
        keyset = " AND (occurred_at, id) < ($3, $4)"
    args.append(limit + 1)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM interactions WHERE account_id = $1 AND customer_id = $2"
        f"{keyset} ORDER BY occurred_at DESC, id DESC LIMIT ${len(args)}",
        *args,
    )
    return [_interaction(row) for row in rows]


async def upcoming(
    conn: Conn, account_id: str, as_of: datetime, after: tuple[datetime, UUID] | None, limit: int
) -> list[Interaction]:
    """Not completed, scheduled at or after as_of, soonest first; up to limit + 1."""
    args: list[Any] = [account_id, as_of]
    keyset = ""
    if after is not None:
        args.extend(after)
        keyset = " AND (scheduled_for, id) > ($3, $4)"
    args.append(limit + 1)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM interactions WHERE account_id = $1 AND NOT completed"
        f" AND scheduled_for >= $2{keyset} ORDER BY scheduled_for, id LIMIT ${len(args)}",
        *args,
    )
    return [_interaction(row) for row in rows]
