from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm_servicekit.clock import SYSTEM_CLOCK, FixedClock


def test_system_clock_is_utc_and_aware() -> None:
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_fixed_clock_stands_still_until_moved() -> None:
    clock = FixedClock(datetime(2025, 1, 1, 9, 0, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    assert clock.advance(timedelta(hours=2)) == datetime(2025, 1, 1, 11, 0, tzinfo=UTC)
    clock.set(datetime(2030, 6, 1, tzinfo=UTC))
    assert clock.now() == datetime(2030, 6, 1, tzinfo=UTC)


def test_fixed_clock_converts_other_offsets_to_utc() -> None:
    oslo_winter = timezone(timedelta(hours=1))
    clock = FixedClock(datetime(2025, 1, 1, 10, 0, tzinfo=oslo_winter))
    assert clock.now().tzinfo == UTC
    assert clock.now().hour == 9


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2025, 1, 1))
    clock = FixedClock(datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2025, 1, 2))
