"""`as_of`, `from` and `to` take ISO 8601 with an offset, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from crm_servicekit.instants import IsoInstant, OptionalInstant

INSTANT: TypeAdapter[datetime | None] = TypeAdapter(OptionalInstant)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-02T09:00:00Z", datetime(2026, 11, 2, 9, tzinfo=UTC)),
        (
            "2026-11-02T10:00:00+01:00",
            datetime(2026, 11, 2, 10, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2026-11-02T09:00:00.250Z", datetime(2026, 11, 2, 9, 0, 0, 250_000, tzinfo=UTC)),
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
