"""The one source of "now": inject a Clock so tests and backtests control time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock; the only place in the code base that reads it."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move (tests, backtests)."""

    def __init__(self, now: datetime) -> None:
        self._now = _as_utc(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = _as_utc(now)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


def _as_utc(moment: datetime) -> datetime:
    # A naive datetime has no defined instant; refusing it keeps every "now" comparable.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"clock time must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


SYSTEM_CLOCK = SystemClock()
