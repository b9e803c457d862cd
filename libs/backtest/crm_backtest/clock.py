"""Instants as the API writes them, and the local-time arithmetic docs/domain.md asks for."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def iso(instant: datetime) -> str:
    """UTC with a `Z`, the way responses write times (so strings compare as instants)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def local_date(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


def local_instant(day: date, clock: time, zone: str) -> datetime:
    """The instant of a local wall-clock time: a DST gap moves to the first valid instant,
    an ambiguous time takes its first occurrence (docs/domain.md, quiet hours)."""
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, clock, tzinfo=tz)  # fold=0: the first occurrence
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # A wall time in a gap does not exist: the first valid instant is the transition itself,
    # which is the earliest UTC instant whose local time lies after the wall time.
    probe = instant - 2 * HOUR
    while probe.astimezone(tz).replace(tzinfo=None) < wall.replace(tzinfo=None):
        probe += timedelta(minutes=1)
    return probe


def start_of_local_day(day: date, zone: str) -> datetime:
    return local_instant(day, time(0, 0), zone)


def out_of_quiet_hours(instant: datetime, zone: str, quiet: tuple[str, str] | None) -> datetime:
    """A reminder time inside the account's quiet hours `[start, end)` moves to their end."""
    if quiet is None:
        return instant
    start, end = (time.fromisoformat(value) for value in quiet)
    local = instant.astimezone(ZoneInfo(zone))
    wall = local.time().replace(tzinfo=None)
    crosses_midnight = start > end
    if crosses_midnight:
        if wall >= start:
            return local_instant(local.date() + DAY, end, zone)
        if wall < end:
            return local_instant(local.date(), end, zone)
        return instant
    if start <= wall < end:
        return local_instant(local.date(), end, zone)
    return instant
