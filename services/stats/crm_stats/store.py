"""Writes of one consumed batch: the event log, milestones, DMO days, reminders, ticker queue.

Every statement is batched (executemany / one row per customer), so a batch of hundreds of
events costs a handful of round trips. The consumer runtime hands us only events it has not
applied before (processed_events), so additive counters stay exact on redelivery.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns, rounds
from crm_stats.dmo import DayTally
from crm_stats.first_replies import delete_first_replies_of, record_first_replies
from crm_stats.milestones import (
    CustomerChange,
    Milestone,
    ReminderChange,
    ReminderStatus,
    Tally,
    customer_change,
    reminder_change,
    tally_of,
)
from crm_stats.periods import local_date
from crm_stats.reminder_counts import add_open, delete_reminders_of, net_opened, open_now
from crm_stats.state_counts import StateKey, add_moves, counted_key, current_keys, moves

MILESTONES = tuple(Milestone)
LOG_COLUMNS = ("account_id", "event_id", "event_name", "ts", "customer_id", "tally", "envelope")


@dataclass
class CustomerDelta:
    """A batch's changes to one customer, merged in arrival order."""

    earliest: dict[Milestone, datetime] = field(default_factory=dict)
    bookings: list[datetime] = field(default_factory=list)
    no_shows: list[datetime] = field(default_factory=list)
    activity: datetime | None = None
    state: Any = None
    name: str | None = None
    sets_next_action: bool = False
    next_action_date: datetime | None = None
    deleted: bool = False

    def add(self, change: CustomerChange) -> None:
        for milestone, at in change.earliest.items():
            self.earliest[milestone] = min(self.earliest.get(milestone, at), at)
        if change.booked:
            self.bookings.append(change.booked)
        if change.no_show:
            self.no_shows.append(change.no_show)
        if change.activity and (self.activity is None or change.activity > self.activity):
            self.activity = change.activity
        if change.state is not None:
            self.state = change.state
        if change.name is not None:
            self.name = change.name
        if change.sets_next_action:
            self.sets_next_action, self.next_action_date = True, change.next_action_date
        self.deleted = self.deleted or change.deleted


# The customers' rows come as arrays, unnested: one statement per batch rather than one per
# customer. A batch names each customer once (their changes merge into one delta), so no row
# is changed twice by it. Whether a delta sets the next action is not a column, so the rows
# that set it and those that keep it go in two statements (the placeholder below).
_CUSTOMER_TYPES = (
    "text", "uuid", *("timestamptz" for _ in MILESTONES), "text", "text", "timestamptz",
    "text", "text", "boolean", "boolean", "timestamptz", "text", "boolean",
)  # fmt: skip
_UPSERT_CUSTOMERS = f"""
INSERT INTO customer_milestones AS m (
    account_id, customer_id, {", ".join(MILESTONES)}, bookings, no_shows, last_activity_at,
    status, booking_state, joined_team, opted_out, next_action_date, name, deleted)
SELECT account_id, customer_id, {", ".join(MILESTONES)},
    bookings::timestamptz[], no_shows::timestamptz[], last_activity_at,
    status, booking_state, joined_team, opted_out, next_action_date, name, deleted
FROM unnest({", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_CUSTOMER_TYPES))})
    AS u(account_id, customer_id, {", ".join(MILESTONES)}, bookings, no_shows,
         last_activity_at, status, booking_state, joined_team, opted_out, next_action_date,
         name, deleted)
ON CONFLICT (account_id, customer_id) DO UPDATE SET
    {", ".join(f"{m} = LEAST(m.{m}, EXCLUDED.{m})" for m in MILESTONES)},
    bookings = m.bookings || EXCLUDED.bookings,
    no_shows = m.no_shows || EXCLUDED.no_shows,
    last_activity_at = GREATEST(m.last_activity_at, EXCLUDED.last_activity_at),
    status = COALESCE(EXCLUDED.status, m.status),
    booking_state = COALESCE(EXCLUDED.booking_state, m.booking_state),
    joined_team = COALESCE(EXCLUDED.joined_team, m.joined_team),
    opted_out = COALESCE(EXCLUDED.opted_out, m.opted_out),
    next_action_date = {{next_action_date}},
    name = COALESCE(EXCLUDED.name, m.name),
    deleted = m.deleted OR EXCLUDED.deleted
RETURNING account_id, customer_id, status, booking_state, joined_team, opted_out, deleted
"""
_UPSERT_SETTING_NEXT_ACTION = _UPSERT_CUSTOMERS.format(next_action_date="EXCLUDED.next_action_date")
_UPSERT_KEEPING_NEXT_ACTION = _UPSERT_CUSTOMERS.format(next_action_date="m.next_action_date")

# A batch can change one reminder several times (created, moved, due...), and one statement
# may change a row only once: the rows go in rounds, the n-th change of each reminder in the
# n-th round, so every reminder's changes apply in their order.
_UPSERT_REMINDERS = """
INSERT INTO reminders AS r (account_id, reminder_id, customer_id, type, scheduled_for, status,
    completed_by, opened_at, closed_at)
SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[],
    $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[])
ON CONFLICT (account_id, reminder_id) DO UPDATE SET
    scheduled_for = CASE WHEN r.closed_at IS NULL THEN EXCLUDED.scheduled_for
                         ELSE r.scheduled_for END,
    status = CASE WHEN r.closed_at IS NULL THEN EXCLUDED.status ELSE r.status END,
    completed_by = CASE WHEN r.closed_at IS NULL THEN EXCLUDED.completed_by
                        ELSE r.completed_by END,
    opened_at = CASE WHEN r.closed_at IS NULL AND EXCLUDED.closed_at IS NULL
                     THEN LEAST(r.opened_at, EXCLUDED.opened_at) ELSE r.opened_at END,
    closed_at = COALESCE(r.closed_at, EXCLUDED.closed_at)
RETURNING account_id, reminder_id, closed_at
"""


def _reminder_row(account_id: str, change: ReminderChange) -> tuple[Any, ...]:
    closed = change.at if change.status is not ReminderStatus.OPEN else None
    return (
        account_id,
        change.reminder_id,
        change.customer_id,
        change.type.value,
        change.scheduled_for,
        change.status.value,
        change.completed_by.value if change.completed_by else None,
        change.at,
        closed,
    )


async def record_batch(
    conn: Conn, events: Sequence[EventEnvelope], zone_of: dict[str, ZoneInfo]
) -> None:
    log_rows: list[tuple[Any, ...]] = []
    deltas: dict[tuple[str, UUID], CustomerDelta] = {}
    days: dict[tuple[str, date], DayTally] = {}
    reminder_rows: list[tuple[Any, ...]] = []
    for event in events:
        tally = tally_of(event)
        log_rows.append(
            (
                event.account_id,
                event.event_id,
                event.event_name.value,
                event.timestamp,
                event.customer_id,
                tally.value if tally else None,
                event.to_json().decode(),
            )
        )
        if tally in (Tally.INVITES, Tally.FOLLOW_UPS):
            key = (event.account_id, local_date(event.timestamp, zone_of[event.account_id]))
            step = DayTally(1, 0) if tally is Tally.INVITES else DayTally(0, 1)
            days[key] = days.get(key, DayTally()) + step
        if (change := customer_change(event)) is not None:
            deltas.setdefault((event.account_id, change.customer_id), CustomerDelta()).add(change)
        if (reminder := reminder_change(event)) is not None:
            reminder_rows.append(_reminder_row(event.account_id, reminder))
    # COPY: the runtime claimed these (account_id, event_id) in processed_events in this
    # transaction, so none of them can be in the log already.
    await conn.copy_records_to_table("event_log", records=log_rows, columns=LOG_COLUMNS)
    await record_first_replies(conn, events)
    # Reminders first: a deletion later in the batch removes them with the customer.
    if reminder_rows:
        await _apply_reminders(conn, reminder_rows)
    if deltas:
        await _apply_customer_deltas(conn, deltas)
    if days:
        await conn.executemany(
            "INSERT INTO dmo_days AS d (account_id, day, invites, follow_ups) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, day) DO UPDATE SET "
            "invites = d.invites + EXCLUDED.invites, "
            "follow_ups = d.follow_ups + EXCLUDED.follow_ups",
            [(a, day, t.invites, t.follow_ups) for (a, day), t in days.items()],
        )


async def _apply_reminders(conn: Conn, rows: list[tuple[Any, ...]]) -> None:
    """Upsert the reminders and move the accounts' open-reminder counters with them."""
    before = await open_now(conn, [(row[0], row[1]) for row in rows])
    closed_at: dict[tuple[str, UUID], Any] = {}
    for group in rounds(rows, 2):
        for row in await conn.fetch(_UPSERT_REMINDERS, *as_columns(group)):
            closed_at[(row["account_id"], row["reminder_id"])] = row["closed_at"]
    after: dict[str, int] = {}
    for (account, _), closed in closed_at.items():
        if closed is None:
            after[account] = after.get(account, 0) + 1
    await add_open(conn, net_opened(before, after))


async def _apply_customer_deltas(conn: Conn, deltas: dict[tuple[str, UUID], CustomerDelta]) -> None:
    """Upsert the customers' rows and move their counted pipeline states with them."""
    accounts = sorted({account for account, _ in deltas})
    before = {a: await current_keys(conn, a, [c for b, c in deltas if b == a]) for a in accounts}
    after: dict[str, dict[UUID, StateKey | None]] = {a: {} for a in accounts}
    for sets_next_action, statement in (
        (True, _UPSERT_SETTING_NEXT_ACTION),
        (False, _UPSERT_KEEPING_NEXT_ACTION),
    ):
        keys = sorted(k for k, d in deltas.items() if d.sets_next_action is sets_next_action)
        if not keys:
            continue
        rows = [_customer_row(key, deltas[key]) for key in keys]
        for row in await conn.fetch(statement, *as_columns(rows)):
            after[row["account_id"]][row["customer_id"]] = counted_key(row)
    for account in accounts:
        ids = [c for a, c in deltas if a == account]
        await add_moves(conn, account, moves(before[account], after[account]))
        gone = [c for c in ids if deltas[(account, c)].deleted]
        if gone:
            # A deleted customer's reminders leave every figure (their later events are
            # dropped by the runtime, so nothing brings them back).
            await delete_reminders_of(conn, account, gone)
            await delete_first_replies_of(conn, account, gone)


def _customer_row(key: tuple[str, UUID], delta: CustomerDelta) -> tuple[Any, ...]:
    state = delta.state
    return (
        *key,
        *(delta.earliest.get(m) for m in MILESTONES),
        _timestamps_literal(delta.bookings),
        _timestamps_literal(delta.no_shows),
        delta.activity,
        state.status.value if state else None,
        state.booking.state.value if state else None,
        state.joined_team if state else None,
        state.opted_out if state else None,
        delta.next_action_date,
        delta.name,
        delta.deleted,
    )


def _timestamps_literal(values: Sequence[datetime]) -> str:
    """A timestamptz[] as text: unnest takes one-dimensional arrays, so a row's array rides in
    a text column and is cast back in the statement."""
    return "{" + ",".join(f'"{value.isoformat()}"' for value in values) + "}"


async def customer_names(conn: Conn, account_id: str, ids: Sequence[UUID]) -> dict[UUID, str]:
    rows = await conn.fetch(
        "SELECT customer_id, name FROM customer_milestones "
        "WHERE account_id = $1 AND customer_id = ANY($2::uuid[]) AND name IS NOT NULL",
        account_id,
        list(ids),
    )
    return {row["customer_id"]: row["name"] for row in rows}


async def queue_ticker_items(conn: Conn, items: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """(account_id, item_id, item) rows for the relay; NOTIFY wakes it at commit."""
    if not items:
        return
    # In input order: seq numbers the relay's order, which is the batch's.
    await conn.execute(
        "INSERT INTO ticker_pending (account_id, item_id, item) SELECT a, i, t::jsonb"
        " FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(a, i, t, n)"
        " ORDER BY n",
        *as_columns([(a, i, json.dumps(item)) for a, i, item in items]),
    )
    await conn.execute("NOTIFY stats_ticker")
