"""The account's event log: every consumed event, newest first, with the tally it counts for."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, NamedTuple
from uuid import UUID

from pydantic import Field

from crm_schemas.catalog import EventName
from crm_schemas.envelope import MAX_EVENT_ID_LENGTH
from crm_servicekit.connection import Conn
from crm_servicekit.instants import StoredInstant
from crm_stats.policy.batch import LoggedEvent
from crm_stats.policy.milestones import Tally
from crm_stats.policy.periods import Period
from crm_stats.repository import Reader

LOG_COLUMNS = ("account_id", "event_id", "event_name", "ts", "customer_id", "tally", "envelope")

_TALLIES = """
SELECT tally, count(*) AS n FROM event_log
WHERE account_id = $1 AND tally IS NOT NULL AND ts >= $2 AND ts < $3 AND ts <= $4
GROUP BY tally
"""

_TALLIES_SINCE = """
SELECT tally, count(*) AS n FROM event_log
WHERE account_id = $1 AND tally = ANY($2::text[]) AND ts >= $3 AND ts <= $4
GROUP BY tally
"""

# The account's earliest event up to as_of, read from the end of event_log_by_time.
# A customer's event: the account-level ones are not the account's activity (its settings
# seed is dated back, so that a change the API allows is never dated before it).
_EARLIEST = """
SELECT min(ts) FROM event_log WHERE account_id = $1 AND ts <= $2 AND customer_id IS NOT NULL
"""


@dataclass(frozen=True)
class EventFilter:
    """Which of an account's events a page lists: all of a name, of a customer, in [start, end)."""

    event_name: EventName | None = None
    customer_id: UUID | None = None
    start: datetime | None = None
    end: datetime | None = None


class LogPosition(NamedTuple):
    """Where a page ends in the log's order (newest first): the last item's time and id; a
    cursor's key."""

    ts: StoredInstant
    event_id: Annotated[
        str, Field(min_length=1, max_length=MAX_EVENT_ID_LENGTH, pattern=r"^[^\x00]*$")
    ]


class LoggedRow(NamedTuple):
    ts: datetime
    event_id: str
    envelope: dict[str, Any]


async def append(conn: Conn, logged: Sequence[LoggedEvent]) -> None:
    """COPY: the runtime claimed these (account_id, event_id) in processed_events in this
    transaction, so none of them can be in the log already."""
    rows = [
        (
            event.account_id,
            event.event_id,
            event.event_name.value,
            event.timestamp,
            event.customer_id,
            tally.value if tally else None,
            event.to_json().decode(),
        )
        for event, tally in logged
    ]
    await conn.copy_records_to_table("event_log", records=rows, columns=LOG_COLUMNS)


async def events_page(
    conn: Conn, account_id: str, where: EventFilter, after: LogPosition | None, limit: int
) -> list[LoggedRow]:
    """Up to `limit` events after `after` in the log's order, newest first."""
    clauses = ["account_id = $1"]
    args: list[Any] = [account_id]

    def add(clause: str, value: Any) -> None:
        args.append(value)
        clauses.append(clause.replace("?", f"${len(args)}"))

    if where.event_name is not None:
        add("event_name = ?", where.event_name.value)
    if where.customer_id is not None:
        add("customer_id = ?", where.customer_id)
    if where.start is not None:
        add("ts >= ?", where.start)
    if where.end is not None:
        add("ts < ?", where.end)
    if after is not None:
        args.extend(after)
        clauses.append(f"(ts, event_id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    rows = await conn.fetch(
        f"SELECT ts, event_id, envelope FROM event_log WHERE {' AND '.join(clauses)} "
        f"ORDER BY ts DESC, event_id DESC LIMIT ${len(args)}",
        *args,
    )
    return [LoggedRow(row["ts"], row["event_id"], json.loads(row["envelope"])) for row in rows]


async def tallies_in(
    db: Reader, account_id: str, period: Period, as_of: datetime
) -> dict[Tally, int]:
    """How many events of each tally in the period, up to as_of."""
    rows = await db.fetch(_TALLIES, account_id, period.start, period.end, as_of)
    return {Tally(row["tally"]): row["n"] for row in rows}


async def tallies_since(
    db: Reader, account_id: str, tallies: Sequence[Tally], start: datetime, as_of: datetime
) -> dict[Tally, int]:
    """How many events of these tallies in [start, as_of]."""
    rows = await db.fetch(_TALLIES_SINCE, account_id, [t.value for t in tallies], start, as_of)
    return {Tally(row["tally"]): row["n"] for row in rows}


async def earliest_event_at(db: Reader, account_id: str, as_of: datetime) -> datetime | None:
    """The timestamp of the account's earliest customer event up to as_of (None: none yet)."""
    earliest: datetime | None = await db.fetchval(_EARLIEST, account_id, as_of)
    return earliest
