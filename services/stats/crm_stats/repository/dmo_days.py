"""Invites and follow-ups per local day of an account, kept as counters by the consumer, and
what a request judges them with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from crm_schemas.account_settings import SettingsHistory
from crm_servicekit.connection import Conn
from crm_stats.policy.dmo import AccountDays, DayTally, TargetsInForce, streak_reaches_back_to
from crm_stats.policy.milestones import Tally
from crm_stats.policy.periods import local_date, local_midnight
from crm_stats.repository import Reader
from crm_stats.repository.event_log import earliest_event_at, tallies_since

_ADD_DAYS = """
INSERT INTO dmo_days AS d (account_id, day, invites, follow_ups) VALUES ($1, $2, $3, $4)
ON CONFLICT (account_id, day) DO UPDATE SET
    invites = d.invites + EXCLUDED.invites, follow_ups = d.follow_ups + EXCLUDED.follow_ups
"""

_DAYS = """
SELECT day, invites, follow_ups FROM dmo_days WHERE account_id = $1 AND day < $2 AND day >= $3
"""


async def add_days(conn: Conn, days: Mapping[tuple[str, date], DayTally]) -> None:
    """Add a batch's tallies to the accounts' local days."""
    if days:
        rows = [(account, day, t.invites, t.follow_ups) for (account, day), t in days.items()]
        await conn.executemany(_ADD_DAYS, rows)


async def account_days(
    db: Reader, account_id: str, zone: ZoneInfo, as_of: datetime, history: SettingsHistory
) -> AccountDays:
    """The account's days a request judges: back to its first day (at most the streak's
    horizon), each against the targets in force for it."""
    earliest = await earliest_event_at(db, account_id, as_of)
    first_day = local_date(earliest, zone) if earliest is not None else None
    since = streak_reaches_back_to(local_date(as_of, zone), first_day)
    tallies = await day_tallies(db, account_id, zone, as_of, since)
    return AccountDays(TargetsInForce(history, zone, as_of), first_day, tallies)


async def day_tallies(
    db: Reader, account_id: str, zone: ZoneInfo, as_of: datetime, since: date
) -> dict[date, DayTally]:
    """Finished local days from `since` on from the counters; as_of's own day from the log,
    cut at as_of."""
    today = local_date(as_of, zone)
    rows = await db.fetch(_DAYS, account_id, today, since)
    days = {row["day"]: DayTally(row["invites"], row["follow_ups"]) for row in rows}
    counted = await tallies_since(
        db, account_id, [Tally.INVITES, Tally.FOLLOW_UPS], local_midnight(today, zone), as_of
    )
    days[today] = DayTally(counted.get(Tally.INVITES, 0), counted.get(Tally.FOLLOW_UPS, 0))
    return days
