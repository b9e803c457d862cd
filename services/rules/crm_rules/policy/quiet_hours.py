"""Quiet hours: a reminder that falls inside them moves to their end, in the account's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crm_schemas.account_settings import QuietHours


def outside_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (local wall time of the end).

        An end that does not exist that night (a DST gap) becomes the first valid instant after
        the gap; an end that happens twice (clocks set back) is its first occurrence, or the
    second for a moment already past the first.
    """
    if quiet is None:
        return moment
    local = moment.astimezone(zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return moment
    end_day = local.date()
    crosses_midnight = quiet.start > quiet.end
    if crosses_midnight and local.time() >= quiet.start:
        end_day += timedelta(days=1)
    wall_end = datetime.combine(end_day, quiet.end)
    end = local_instant(wall_end, zone)
    if end <= moment:
        # The moment is in the repeated hour, after the end's first occurrence: the end
        # still ahead is its second one (quiet hours never move a reminder earlier).
        end = wall_end.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return end


def local_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time: gap → first valid instant, repeat → first."""
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)  # exists (fold=0 is the first of two if repeated)
    # In a gap: fold=1 reads it with the offset before the jump, fold=0 with the one after,
    # so the jump lies between the two instants; find it to the second.
    low = min(first.astimezone(UTC), wall.replace(tzinfo=zone, fold=1).astimezone(UTC))
    high = max(first.astimezone(UTC), wall.replace(tzinfo=zone, fold=1).astimezone(UTC))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)
