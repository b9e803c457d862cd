"""The reminders: a customer's, one by id, pages of an account's, the due ones."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_rules.policy.reminder import Reminder, ReminderStatus
from crm_rules.repository.customers import CustomerKey, of_customers
from crm_schemas.system_properties import ReminderType
from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns

_COLUMNS = (
    "id, account_id, customer_id, type, rule, trigger_event_id, automated, message, status,"
    " scheduled_for, rule_scheduled_for, created_at, closed_at, completed_by, cancel_reason"
)


def _reminder(row: Any) -> Reminder:
    return Reminder.model_validate(dict(row))


async def open_reminders_and(
    conn: Conn, wanted: Mapping[CustomerKey, Collection[uuid.UUID]]
) -> dict[CustomerKey, list[Reminder]]:
    """Each customer's open reminders, and the ones of theirs with these ids."""
    columns = ", ".join(f"x.{c.strip()}" for c in _COLUMNS.split(","))
    pairs = [(key, rid) for key, ids in wanted.items() for rid in ids]
    rows = await conn.fetch(
        f"""
        SELECT {columns} FROM reminders x
        JOIN unnest($1::text[], $2::uuid[]) AS k(account_id, customer_id)
          ON x.account_id = k.account_id AND x.customer_id = k.customer_id
        WHERE x.status = 'open'
        UNION
        SELECT {columns} FROM reminders x
        JOIN unnest($3::text[], $4::uuid[]) AS k(account_id, id)
          ON x.account_id = k.account_id AND x.id = k.id
        """,
        [a for a, _ in wanted],
        [c for _, c in wanted],
        [key[0] for key, _ in pairs],
        [rid for _, rid in pairs],
    )
    found: dict[CustomerKey, list[Reminder]] = {key: [] for key in wanted}
    for row in rows:
        reminder = _reminder(row)
        key = (reminder.account_id, reminder.customer_id)
        if key in found:
            found[key].append(reminder)
    return found


async def reminders_of_many(
    conn: Conn, keys: Sequence[CustomerKey]
) -> dict[CustomerKey, list[Reminder]]:
    columns = ", ".join(f"x.{c.strip()}" for c in _COLUMNS.split(","))
    rows = await of_customers(conn, f"SELECT {columns} FROM reminders x", keys)
    found: dict[CustomerKey, list[Reminder]] = {key: [] for key in keys}
    for row in rows:
        reminder = _reminder(row)
        found[(reminder.account_id, reminder.customer_id)].append(reminder)
    return found


async def save_reminders(conn: Conn, reminders: Sequence[Reminder]) -> None:
    """Insert or overwrite each reminder with its latest values: one statement per batch
    (arrays unnested, rather than a statement per reminder)."""
    latest = {(r.account_id, r.id): r for r in reminders}  # DO UPDATE takes a row only once
    if not latest:
        return
    await conn.execute(
        f"""
        INSERT INTO reminders ({_COLUMNS})
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
            $6::text[], $7::boolean[], $8::text[], $9::text[], $10::timestamptz[],
            $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::text[], $15::text[])
        ON CONFLICT (account_id, id) DO UPDATE SET
            status = EXCLUDED.status, scheduled_for = EXCLUDED.scheduled_for,
            rule_scheduled_for = EXCLUDED.rule_scheduled_for,
            trigger_event_id = EXCLUDED.trigger_event_id, message = EXCLUDED.message,
            closed_at = EXCLUDED.closed_at,
            completed_by = EXCLUDED.completed_by, cancel_reason = EXCLUDED.cancel_reason
        """,
        *as_columns([_row(r) for r in latest.values()]),
    )


def _row(r: Reminder) -> tuple[Any, ...]:
    """A reminder in the order of _COLUMNS."""
    return (
        r.id, r.account_id, r.customer_id, r.type.value, r.rule.value, r.trigger_event_id,
        r.automated, r.message, r.status.value, r.scheduled_for, r.rule_scheduled_for,
        r.created_at, r.closed_at, r.completed_by.value if r.completed_by else None,
        r.cancel_reason,
    )  # fmt: skip


async def get_reminder(conn: Conn, account_id: str, reminder_id: uuid.UUID) -> Reminder | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM reminders WHERE account_id = $1 AND id = $2",
        account_id,
        reminder_id,
    )
    return _reminder(row) if row else None


@dataclass(frozen=True)
class ReminderFilter:
    """Which reminders of one account to list; a field left None does not filter."""

    customer_id: uuid.UUID | None = None
    status: ReminderStatus | None = None
    type: ReminderType | None = None
    # scheduled_for in (scheduled_after, scheduled_until]
    scheduled_after: datetime | None = None
    scheduled_until: datetime | None = None
    # The page's start: strictly after this (scheduled_for, id).
    after: tuple[datetime, uuid.UUID] | None = None


async def list_reminders(
    conn: Conn, account_id: str, matching: ReminderFilter, *, limit: int
) -> list[Reminder]:
    """Reminders of one account, oldest first by (scheduled_for, id)."""
    args: list[Any] = [account_id]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    conditions = ["account_id = $1"]
    if matching.customer_id is not None:
        conditions.append(f"customer_id = {arg(matching.customer_id)}")
    if matching.status is not None:
        conditions.append(f"status = {arg(matching.status.value)}")
    if matching.type is not None:
        conditions.append(f"type = {arg(matching.type.value)}")
    if matching.scheduled_after is not None:
        conditions.append(f"scheduled_for > {arg(matching.scheduled_after)}")
    if matching.scheduled_until is not None:
        conditions.append(f"scheduled_for <= {arg(matching.scheduled_until)}")
    if matching.after is not None:
        at, reminder_id = matching.after
        conditions.append(f"(scheduled_for, id) > ({arg(at)}, {arg(reminder_id)})")
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM reminders WHERE {' AND '.join(conditions)}"
        f" ORDER BY scheduled_for ASC, id ASC LIMIT {arg(limit)}",
        *args,
    )
    return [_reminder(row) for row in rows]


async def claim_due(conn: Conn, now: datetime, limit: int) -> list[Reminder]:
    """Open reminders whose time has passed and whose REMINDER_DUE is not out yet, locked;
    another replica skips them (FOR UPDATE SKIP LOCKED) instead of notifying twice."""
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM reminders
        WHERE status = 'open' AND scheduled_for <= $1
          AND due_notified_for IS DISTINCT FROM scheduled_for
        ORDER BY scheduled_for, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
        """,
        now,
        limit,
    )
    return [_reminder(row) for row in rows]


async def due_unannounced(conn: Conn, now: datetime) -> tuple[int, datetime | None]:
    """How many reminders claim_due would find at `now` (however many replicas wait), and
    the time of the oldest of them."""
    row = await conn.fetchrow(
        """
        SELECT count(*) AS due, min(scheduled_for) AS oldest FROM reminders
        WHERE status = 'open' AND scheduled_for <= $1
          AND due_notified_for IS DISTINCT FROM scheduled_for
        """,
        now,
    )
    assert row is not None
    return row["due"], row["oldest"]


async def mark_notified(conn: Conn, reminders: Sequence[Reminder]) -> None:
    if not reminders:
        return
    await conn.execute(
        """
        UPDATE reminders r SET due_notified_for = n.scheduled_for
        FROM unnest($1::text[], $2::uuid[], $3::timestamptz[]) AS n(account_id, id, scheduled_for)
        WHERE r.account_id = n.account_id AND r.id = n.id
        """,
        [r.account_id for r in reminders],
        [r.id for r in reminders],
        [r.scheduled_for for r in reminders],
    )
