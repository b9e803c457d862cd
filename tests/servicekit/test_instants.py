"""`as_of`, `from` and `to` take ISO 8601 with an offset, and nothing else; durations are
ISO 8601 and bounded; a cursor's instants are ones datetime holds in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from crm_servicekit.instants import (
    LONGEST_DURATION,
    IsoDuration,
    IsoInstant,
    OptionalInstant,
    StoredInstant,
)

INSTANT: TypeAdapter[datetime | None] = TypeAdapter(OptionalInstant)
DURATION: TypeAdapter[timedelta] = TypeAdapter(IsoDuration)
STORED: TypeAdapter[datetime] = TypeAdapter(StoredInstant)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-02T09:00:00Z", datetime(2026, 11, 2, 9, tzinfo=UTC)),
        (
            "2026-11-02T10:00:00+01:00",
            datetime(2026, 11, 2, 10, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2026-11-02T09:00:00.250Z", datetime(2026, 11, 2, 9, 0, 0, 250_000, tzinfo=UTC)),
        # The range's two ends.
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("2999-12-31T23:59:59.999999Z", datetime(2999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
        ("1970-01-01T01:00:00+01:00", datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_iso_8601_with_an_offset_is_taken(text: str, expected: datetime) -> None:
    assert INSTANT.validate_python(text) == expected


def test_absent_is_none() -> None:
    assert INSTANT.validate_python(None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.5", "must be an ISO 8601 date-time"),  # lax pydantic would read Unix time: 1970
        ("1764580000", "must be an ISO 8601 date-time"),
        ("yesterday", "must be an ISO 8601 date-time"),
        ("2026-11-02T09:00:00", "needs a UTC offset"),
        ("2026-11-02", "needs a UTC offset"),
        # Out of the range the system takes; a year-1 as_of made a stats query fail with 500.
        ("0001-01-01T00:00:00Z", "must be from 1970-01-01"),
        ("1969-12-31T23:59:59Z", "must be from 1970-01-01"),
        ("3000-01-01T00:00:00Z", "must be from 1970-01-01"),
        ("1970-01-01T00:59:59+01:00", "must be from 1970-01-01"),
        ("0001-01-01T00:00:00+05:00", "must be from 1970-01-01"),
        ("9999-12-31T23:00:00-05:00", "must be from 1970-01-01"),
        ("2026-11-02T09:00:00\x00Z", "must be an ISO 8601 date-time"),
        ("2026-11-02\x0009:00:00Z", "must be an ISO 8601 date-time"),
        ("2026-11-02T09:00:00Z\n", "must be an ISO 8601 date-time"),
        ("Infinity", "must be an ISO 8601 date-time"),
        ("1e30", "must be an ISO 8601 date-time"),
    ],
)
def test_anything_else_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        INSTANT.validate_python(text)


def test_a_body_instant_refuses_a_number_that_lax_parsing_would_read_as_unix_time() -> None:
    body: TypeAdapter[datetime] = TypeAdapter(IsoInstant)
    assert body.validate_json('"2026-11-02T09:00:00Z"') == datetime(2026, 11, 2, 9, tzinfo=UTC)
    with pytest.raises(ValidationError, match="must be an ISO 8601 date-time string"):
        body.validate_json("1764580000")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P7D", timedelta(days=7)),
        ("PT1S", timedelta(seconds=1)),
        ("P3653D", LONGEST_DURATION),
        ("P1W", timedelta(days=7)),
    ],
)
def test_a_duration_up_to_ten_years_is_taken(text: str, expected: timedelta) -> None:
    assert DURATION.validate_python(text) == expected


@pytest.mark.parametrize(
    "text", ["P3654D", "P3000000D", "P9999999999D", "P0D", "PT0S", "-P1D", "soon", "7", ""]
)
def test_a_duration_beyond_ten_years_or_not_positive_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        DURATION.validate_python(text)


def test_a_stored_instant_is_any_instant_datetime_holds_in_utc() -> None:
    never = datetime(9999, 12, 31, tzinfo=UTC)  # the "who next" order's end
    assert STORED.validate_json('"9999-12-31T00:00:00Z"') == never
    assert STORED.validate_json('"2026-11-02T10:00:00+01:00"').tzinfo == UTC
    for text in ('"0001-01-01T00:00:00+05:00"', '"9999-12-31T23:00:00-05:00"'):
        with pytest.raises(ValidationError, match="out of range"):
            STORED.validate_json(text)
    with pytest.raises(ValidationError, match="timezone"):
        STORED.validate_json('"2026-11-02T09:00:00"')
