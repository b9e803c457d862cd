"""Each customer's row of milestones, pipeline state and next action (customer_milestones),
and the dashboard's reads of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from crm_schemas.next_action import NextAction, NextActionState
from crm_schemas.pipeline import OPEN_STATUSES
from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns
from crm_stats.policy.batch import CustomerDelta, CustomerKey
from crm_stats.policy.counters import StateKey, counted_key
from crm_stats.policy.figures import HEALTHY_WITHIN, FunnelCustomer
from crm_stats.policy.milestones import Milestone
from crm_stats.policy.periods import Period
from crm_stats.repository import Reader

MILESTONES = tuple(Milestone)

# The customers' rows come as arrays, unnested: one statement per batch rather than one per
# customer. A batch names each customer once (their changes merge into one delta), so no row
# is changed twice by it. Whether a delta sets the next action is not a column, so the rows
# that set it and those that keep it go in two statements (the placeholder below).
_CUSTOMER_TYPES = (
    "text", "uuid", *("timestamptz" for _ in MILESTONES), "text", "text", "timestamptz",
    "text", "text", "boolean", "boolean", "timestamptz", "text", "timestamptz", "timestamptz",
    "text", "boolean",
)  # fmt: skip
_NEXT_ACTION = ("next_action_date", "person_next_action", "person_next_action_date", "nba_due_at")
_COUNTED = "status, booking_state, joined_team, opted_out, deleted"
# The rows as they were come from the same statement: its sub-statements share one snapshot,
# so `before` reads each row as it was when the statement began, before the upsert changed it.
_UPSERT_CUSTOMERS = f"""
WITH u AS (
    SELECT * FROM unnest({", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_CUSTOMER_TYPES))})
        AS u(account_id, customer_id, {", ".join(MILESTONES)}, bookings, no_shows,
             last_activity_at, status, booking_state, joined_team, opted_out,
             next_action_date, person_next_action, person_next_action_date, nba_due_at,
             name, deleted)
), before AS (
    SELECT m.account_id, m.customer_id, {", ".join(f"m.{c}" for c in _COUNTED.split(", "))}
    FROM customer_milestones m JOIN u USING (account_id, customer_id)
), upserted AS (
    INSERT INTO customer_milestones AS m (
        account_id, customer_id, {", ".join(MILESTONES)}, bookings, no_shows,
        last_activity_at, status, booking_state, joined_team, opted_out, {", ".join(_NEXT_ACTION)},
        name, deleted)
    SELECT account_id, customer_id, {", ".join(MILESTONES)},
        bookings::timestamptz[], no_shows::timestamptz[], last_activity_at,
        status, booking_state, joined_team, opted_out, {", ".join(_NEXT_ACTION)}, name, deleted
    FROM u
    ON CONFLICT (account_id, customer_id) DO UPDATE SET
        {", ".join(f"{m} = LEAST(m.{m}, EXCLUDED.{m})" for m in MILESTONES)},
        bookings = m.bookings || EXCLUDED.bookings,
        no_shows = m.no_shows || EXCLUDED.no_shows,
        last_activity_at = GREATEST(m.last_activity_at, EXCLUDED.last_activity_at),
        status = COALESCE(EXCLUDED.status, m.status),
        booking_state = COALESCE(EXCLUDED.booking_state, m.booking_state),
        joined_team = COALESCE(EXCLUDED.joined_team, m.joined_team),
        opted_out = COALESCE(EXCLUDED.opted_out, m.opted_out),
        {{next_action}},
        name = COALESCE(EXCLUDED.name, m.name),
        deleted = m.deleted OR EXCLUDED.deleted
    RETURNING account_id, customer_id, {_COUNTED}
)
SELECT true AS after, account_id, customer_id, {_COUNTED} FROM upserted
UNION ALL
SELECT false, account_id, customer_id, {_COUNTED} FROM before
"""
_UPSERT_SETTING_NEXT_ACTION = _UPSERT_CUSTOMERS.format(
    next_action=", ".join(f"{c} = EXCLUDED.{c}" for c in _NEXT_ACTION)
)
_UPSERT_KEEPING_NEXT_ACTION = _UPSERT_CUSTOMERS.format(
    next_action=", ".join(f"{c} = m.{c}" for c in _NEXT_ACTION)
)
# The stored choices a batch's next-action steps are folded over.
_NEXT_ACTION_CHOICES = """
SELECT account_id, customer_id, person_next_action, person_next_action_date, nba_due_at
FROM customer_milestones JOIN unnest($1::text[], $2::uuid[]) AS k(account_id, customer_id)
    USING (account_id, customer_id)
"""

_OPEN_LITERAL = ", ".join(f"'{code}'" for code in sorted(s.value for s in OPEN_STATUSES))
# Literal open stages, so the planner matches the partial indexes of migration 0002.
_COUNTS = f"""
SELECT
    (SELECT count(*) FROM customer_milestones WHERE account_id = $1 AND NOT deleted
        AND created_at >= $2 AND created_at < $3 AND created_at <= $4) AS new_leads,
    (SELECT count(*) FROM customer_milestones WHERE account_id = $1 AND NOT deleted
        AND first_signing_at >= $2 AND first_signing_at < $3 AND first_signing_at <= $4)
        AS signed_up,
    (SELECT count(*) FROM customer_milestones WHERE account_id = $1 AND NOT deleted
        AND status IN ({_OPEN_LITERAL}) AND next_action_date < $4) AS next_actions_overdue,
    (SELECT count(*) FROM customer_milestones WHERE account_id = $1 AND NOT deleted
        AND NOT opted_out AND status IN ({_OPEN_LITERAL}) AND last_activity_at >= $5)
        AS healthy
"""

_COHORT = """
SELECT customer_id, qualified_at, presented_at, signed_up_at, booked_at, held_at, no_show_at,
    bookings, no_shows
FROM customer_milestones
WHERE account_id = $1 AND NOT deleted AND cohort_at >= $2 AND cohort_at < $3 AND cohort_at <= $4
"""

_NAMES = """
SELECT customer_id, name FROM customer_milestones
WHERE account_id = $1 AND customer_id = ANY($2::uuid[]) AND name IS NOT NULL
"""


class Counted(NamedTuple):
    """The customers' counted keys before and after a batch's upsert (None: deleted or not
    yet announced; a customer new to the store has no key before)."""

    before: dict[CustomerKey, StateKey | None]
    after: dict[CustomerKey, StateKey | None]


async def next_action_choices(
    conn: Conn, keys: Sequence[CustomerKey]
) -> dict[CustomerKey, NextActionState]:
    """The person's and the NBA's choices as stored (only dates are kept of what is shown;
    a customer not stored yet has none)."""
    rows = await conn.fetch(_NEXT_ACTION_CHOICES, *as_columns(keys))
    return {
        (r["account_id"], r["customer_id"]): NextActionState(
            person=None
            if r["person_next_action"] is None
            else NextAction(r["person_next_action"], r["person_next_action_date"], by_person=True),
            nba_due=r["nba_due_at"],
        )
        for r in rows
    }


async def upsert(
    conn: Conn,
    deltas: Mapping[CustomerKey, CustomerDelta],
    next_actions: Mapping[CustomerKey, NextActionState],
) -> Counted:
    """Merge the batch's deltas into the rows, with the next actions their steps decided;
    each customer's counted key before and after."""
    counted = Counted({}, {})
    for sets_next_action, statement in (
        (True, _UPSERT_SETTING_NEXT_ACTION),
        (False, _UPSERT_KEEPING_NEXT_ACTION),
    ):
        keys = sorted(k for k in deltas if (k in next_actions) is sets_next_action)
        if not keys:
            continue
        rows = [_customer_row(key, deltas[key], next_actions.get(key)) for key in keys]
        for row in await conn.fetch(statement, *as_columns(rows)):
            side = counted.after if row["after"] else counted.before
            side[(row["account_id"], row["customer_id"])] = counted_key(row)
    return counted


def _customer_row(
    key: CustomerKey, delta: CustomerDelta, next_action: NextActionState | None
) -> tuple[Any, ...]:
    state = delta.state
    person = next_action.person if next_action else None
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
        next_action.shown.due if next_action else None,
        person.title if person else None,
        person.due if person else None,
        next_action.nba_due if next_action else None,
        delta.name,
        delta.deleted,
    )


def _timestamps_literal(values: Sequence[datetime]) -> str:
    """A timestamptz[] as text: unnest takes one-dimensional arrays, so a row's array rides in
    a text column and is cast back in the statement."""
    return "{" + ",".join(f'"{value.isoformat()}"' for value in values) + "}"


async def names(conn: Conn, account_id: str, ids: Sequence[UUID]) -> dict[UUID, str]:
    rows = await conn.fetch(_NAMES, account_id, list(ids))
    return {row["customer_id"]: row["name"] for row in rows}


class CustomerCounts(NamedTuple):
    new_leads: int  # created in the period
    signed_up: int  # first signing in the period
    next_actions_overdue: int  # open stage, next action before as_of
    healthy: int  # open stage, not opted out, active within HEALTHY_WITHIN


async def counts(db: Reader, account_id: str, period: Period, as_of: datetime) -> CustomerCounts:
    row = await db.fetchrow(
        _COUNTS, account_id, period.start, period.end, as_of, as_of - HEALTHY_WITHIN
    )
    assert row is not None  # aggregates always answer one row
    return CustomerCounts(**row)


async def cohort(
    db: Reader, account_id: str, period: Period, as_of: datetime
) -> list[FunnelCustomer]:
    """The customers whose cohort instant (first DM or qualification) is in the period."""
    rows = await db.fetch(_COHORT, account_id, period.start, period.end, as_of)
    return [
        FunnelCustomer(
            customer_id=r["customer_id"],
            qualified_at=r["qualified_at"],
            presented_at=r["presented_at"],
            signed_up_at=r["signed_up_at"],
            booked_at=r["booked_at"],
            held_at=r["held_at"],
            no_show_at=r["no_show_at"],
            bookings=tuple(r["bookings"]),
            no_shows=tuple(r["no_shows"]),
        )
        for r in rows
    ]
