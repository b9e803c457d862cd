"""Every SQL statement of the NBA service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from crm_nba.coaching import DmoDay
from crm_nba.projection import Fold, Projection
from crm_nba.transitions import Assessment
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import Recommendation
from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns

CustomerKey = tuple[str, UUID]
# The far end of the "who next" order for null due_at / last activity (as in the migration).
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
# How far back the streak looks; a longer streak is reported as this many days.
STREAK_HORIZON_DAYS = 400
# A stored recommendation holds in [valid_from, next_change_at); $2 is the instant asked.
_HOLDS_AT = (
    "(next_change_at IS NULL OR next_change_at > $2) AND (valid_from IS NULL OR valid_from <= $2)"
)


@dataclass(frozen=True)
class StoredCustomer:
    projection: Projection
    recommendation: Recommendation
    valid_from: datetime | None
    next_change_at: datetime | None


async def append_journal(conn: Conn, events: Sequence[EventEnvelope]) -> None:
    if not events:
        return
    # One statement for the batch; `seq` (arrival order) is drawn in the arrays' order.
    await conn.execute(
        """
        INSERT INTO nba_journal (account_id, customer_id, event_id, event)
        SELECT account_id, customer_id, event_id, event
        FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[])
            WITH ORDINALITY AS e(account_id, customer_id, event_id, event, arrival)
        ORDER BY arrival
        ON CONFLICT DO NOTHING
        """,
        [e.account_id for e in events],
        [e.customer_id for e in events],
        [e.event_id for e in events],
        [e.model_dump_json(by_alias=True) for e in events],
    )


async def journals(
    conn: Conn, keys: Sequence[CustomerKey]
) -> dict[CustomerKey, list[EventEnvelope]]:
    """Each customer's journaled events in arrival order."""
    rows = await conn.fetch(
        """
        SELECT j.account_id, j.customer_id, j.event
        FROM nba_journal j
        JOIN unnest($1::text[], $2::uuid[]) AS k(account_id, customer_id)
          ON j.account_id = k.account_id AND j.customer_id = k.customer_id
        ORDER BY j.account_id, j.customer_id, j.seq
        """,
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    found: dict[CustomerKey, list[EventEnvelope]] = defaultdict(list)
    for row in rows:
        event = EventEnvelope.from_stored(row["event"])
        found[(row["account_id"], row["customer_id"])].append(event)
    return found


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


async def stale_at(conn: Conn, account: str, as_of: datetime) -> list[Projection]:
    """Projections whose stored recommendation does not hold at `as_of`."""
    rows = await conn.fetch(
        """
        SELECT projection FROM nba_customers
        WHERE account_id = $1 AND next_change_at <= $2
        UNION
        SELECT projection FROM nba_customers
        WHERE account_id = $1 AND valid_from > $2
        """,
        account,
        as_of,
    )
    return [Projection.model_validate_json(r["projection"]) for r in rows]


async def who_next_page(
    conn: Conn, account: str, as_of: datetime, after: tuple[Any, ...] | None, limit: int
) -> list[tuple[tuple[int, datetime, datetime, UUID], str]]:
    """Listed recommendations that hold at `as_of`, in the "who next" order.

    Each comes with its sort key and as JSON text, so a page is served without decoding
    and re-encoding what was stored.
    """
    rows = await conn.fetch(
        f"""
        SELECT neg_priority, due_sort, activity_sort, customer_id, recommendation AS body
        FROM nba_customers
        WHERE account_id = $1 AND priority > 0
          AND {_HOLDS_AT}
          AND ($3::smallint IS NULL
               OR (neg_priority, due_sort, activity_sort, customer_id) > ($3, $4, $5, $6))
        ORDER BY neg_priority, due_sort, activity_sort, customer_id
        LIMIT $7
        """,
        account,
        as_of,
        *(after if after is not None else (None, None, None, None)),
        limit,
    )
    return [
        ((r["neg_priority"], r["due_sort"], r["activity_sort"], r["customer_id"]), r["body"])
        for r in rows
    ]


async def rebooks_held(conn: Conn, account: str, as_of: datetime) -> int:
    """Customers whose stored recommendation is rebook and holds at `as_of`."""
    count: int = await conn.fetchval(
        f"""
        SELECT count(*) FROM nba_customers
        WHERE account_id = $1 AND booking_state = 'no_show' AND NOT deleted
          AND action = 'rebook'
          AND {_HOLDS_AT}
        """,
        account,
        as_of,
    )
    return count


async def no_shows_stale_at(conn: Conn, account: str, as_of: datetime) -> list[Projection]:
    """No-show customers whose stored recommendation does not hold at `as_of`."""
    rows = await conn.fetch(
        f"""
        SELECT projection FROM nba_customers
        WHERE account_id = $1 AND booking_state = 'no_show' AND NOT deleted
          AND NOT ({_HOLDS_AT})
        """,
        account,
        as_of,
    )
    return [Projection.model_validate_json(r["projection"]) for r in rows]


async def record_dmo(conn: Conn, rows: Sequence[tuple[str, str, str, datetime]]) -> None:
    """(account, event_id, kind, at) of each invite or follow-up."""
    if rows:
        await conn.executemany(
            "INSERT INTO nba_dmo_events VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", rows
        )


async def dmo_days(
    conn: Conn,
    account: str,
    time_zone: str,
    as_of: datetime,
    horizon_days: int = STREAK_HORIZON_DAYS,
) -> dict[date, DmoDay]:
    """Invites and follow-ups per local day, counting events up to `as_of` and no older than
    `horizon_days` (the local day of `as_of` is complete from a horizon of 2 days)."""
    rows = await conn.fetch(
        """
        SELECT (at AT TIME ZONE $2)::date AS day,
               count(*) FILTER (WHERE kind = 'invite') AS invites,
               count(*) FILTER (WHERE kind = 'follow_up') AS follow_ups
        FROM nba_dmo_events
        WHERE account_id = $1 AND at <= $3 AND at > $3 - make_interval(days => $4)
        GROUP BY day
        """,
        account,
        time_zone,
        as_of,
        horizon_days,
    )
    return {r["day"]: DmoDay(r["invites"], r["follow_ups"]) for r in rows}


async def coaching_emitted(conn: Conn, account: str, local_date: date) -> set[str]:
    rows = await conn.fetch(
        "SELECT kind FROM nba_coaching_emitted WHERE account_id = $1 AND local_date = $2",
        account,
        local_date,
    )
    return {r["kind"] for r in rows}


async def mark_coaching_emitted(
    conn: Conn, account: str, local_date: date, kind: str, text: str, at: datetime
) -> bool:
    """Claim a kind for the day; False when it was emitted already (another replica)."""
    row = await conn.fetchrow(
        """
        INSERT INTO nba_coaching_emitted VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT DO NOTHING RETURNING kind
        """,
        account,
        local_date,
        kind,
        text,
        at,
    )
    return row is not None
