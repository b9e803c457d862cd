"""What coaching reads and remembers: DMO events, rebooks waiting, prompts emitted per day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import NamedTuple

from crm_nba.policy.coaching import DmoDay
from crm_nba.policy.projection import Projection
from crm_nba.repository.customers import HOLDS_AT
from crm_schemas.system_properties import CoachingPrompt
from crm_servicekit.connection import Conn
from crm_servicekit.unnest import as_columns

# How far back the streak looks; a longer streak is reported as this many days.
STREAK_HORIZON_DAYS = 400


async def rebooks_held(conn: Conn, account: str, as_of: datetime) -> int:
    """Customers whose stored recommendation is rebook and holds at `as_of`."""
    count: int = await conn.fetchval(
        f"""
        SELECT count(*) FROM nba_customers
        WHERE account_id = $1 AND booking_state = 'no_show' AND NOT deleted
          AND action = 'rebook'
          AND {HOLDS_AT}
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
          AND NOT ({HOLDS_AT})
        """,
        account,
        as_of,
    )
    return [Projection.model_validate_json(r["projection"]) for r in rows]


class DmoEvent(NamedTuple):
    """An invite or a follow-up that counts towards its account's DMO."""

    account_id: str
    event_id: str
    kind: str  # 'invite' or 'follow_up'
    at: datetime


async def record_dmo(conn: Conn, events: Sequence[DmoEvent]) -> None:
    """The batch's invites and follow-ups in one statement (not one per event)."""
    if events:
        await conn.execute(
            """
            INSERT INTO nba_dmo_events (account_id, event_id, kind, at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
            ON CONFLICT DO NOTHING
            """,
            *as_columns(events),
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


async def record_first_events(conn: Conn, earliest: Mapping[str, datetime]) -> None:
    """Keep each account's earliest event, given a batch's earliest per account. Only an
    earlier one is written, so batches of one account do not queue for its row."""
    if earliest:
        await conn.execute(
            """
            INSERT INTO nba_account_first_event AS f (account_id, at)
            SELECT b.account_id, b.at
            FROM unnest($1::text[], $2::timestamptz[]) AS b(account_id, at)
            WHERE NOT EXISTS (
                SELECT 1 FROM nba_account_first_event k
                WHERE k.account_id = b.account_id AND k.at <= b.at
            )
            ON CONFLICT (account_id) DO UPDATE SET at = least(f.at, EXCLUDED.at)
            """,
            list(earliest),
            list(earliest.values()),
        )


async def first_event_at(conn: Conn, account: str) -> datetime | None:
    at: datetime | None = await conn.fetchval(
        "SELECT at FROM nba_account_first_event WHERE account_id = $1", account
    )
    return at


async def coaching_emitted(conn: Conn, account: str, local_date: date) -> set[str]:
    rows = await conn.fetch(
        "SELECT kind FROM nba_coaching_emitted WHERE account_id = $1 AND local_date = $2",
        account,
        local_date,
    )
    return {r["kind"] for r in rows}


async def claim_coaching_kinds(
    conn: Conn, account: str, local_date: date, prompts: Sequence[CoachingPrompt], at: datetime
) -> set[str]:
    """Claim the prompts' kinds for the day in one statement; the kinds claimed now, leaving
    out those emitted already (earlier, or by another replica)."""
    if not prompts:
        return set()
    rows = await conn.fetch(
        """
        INSERT INTO nba_coaching_emitted (account_id, local_date, kind, text, emitted_at)
        SELECT $1, $2, kind, text, $5
        FROM unnest($3::text[], $4::text[]) AS p(kind, text)
        ON CONFLICT DO NOTHING RETURNING kind
        """,
        account,
        local_date,
        [p.kind.value for p in prompts],
        [p.text for p in prompts],
        at,
    )
    return {r["kind"] for r in rows}
