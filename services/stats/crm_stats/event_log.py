"""Reads of the account's event log: newest first, filtered, cursor-paginated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_servicekit.connection import Conn
from crm_servicekit.pagination import Page, PageRequest, build_page
from crm_servicekit.problems import FieldError, Unprocessable


@dataclass(frozen=True)
class EventFilter:
    event_name: str | None = None
    customer_id: UUID | None = None
    start: datetime | None = None
    end: datetime | None = None


def _after(cursor: Any) -> tuple[datetime, str] | None:
    """The (timestamp, event_id) a cursor carries; anything else is 422 naming `cursor`."""
    if cursor is None:
        return None
    try:
        moment, event_id = cursor
        return datetime.fromisoformat(moment), str(event_id)
    except (TypeError, ValueError):
        raise Unprocessable(
            "The cursor is not one of this list's; pass next_cursor unchanged.",
            errors=[FieldError(("query", "cursor"), "not a cursor of the event log")],
        ) from None


async def list_events(
    conn: Conn, account_id: str, where: EventFilter, page: PageRequest
) -> Page[dict[str, Any]]:
    clauses = ["account_id = $1"]
    args: list[Any] = [account_id]

    def add(clause: str, value: Any) -> None:
        args.append(value)
        clauses.append(clause.replace("?", f"${len(args)}"))

    if where.event_name is not None:
        add("event_name = ?", where.event_name)
    if where.customer_id is not None:
        add("customer_id = ?", where.customer_id)
    if where.start is not None:
        add("ts >= ?", where.start)
    if where.end is not None:
        add("ts < ?", where.end)
    if (after := _after(page.after)) is not None:
        args.extend(after)
        clauses.append(f"(ts, event_id) < (${len(args) - 1}, ${len(args)})")
    args.append(page.limit + 1)
    rows = await conn.fetch(
        f"SELECT ts, event_id, envelope FROM event_log WHERE {' AND '.join(clauses)} "
        f"ORDER BY ts DESC, event_id DESC LIMIT ${len(args)}",
        *args,
    )
    found = build_page(rows, page.limit, lambda row: [row["ts"].isoformat(), row["event_id"]])
    return Page[dict[str, Any]](
        items=[json.loads(row["envelope"]) for row in found.items], next_cursor=found.next_cursor
    )
