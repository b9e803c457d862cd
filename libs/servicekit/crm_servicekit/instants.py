"""Instants in requests (`as_of`, `from`, `to`, body times): ISO 8601 with a UTC offset only;
durations in requests (`within`): ISO 8601, positive and at most ten years; and the instants a
list cursor carries back.

Pydantic's lax datetime parsing also takes a number as Unix time, so `?as_of=0.5` would be read
as 1970-01-01 and answered 200 with figures for the wrong moment. A client sending seconds by
mistake gets a 422 naming the parameter instead, as the OpenAPI document (`format: date-time`)
already says. The range is crm_schemas.instants's, the events' own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from crm_schemas.instants import Instant

EXAMPLE = "2026-11-02T09:00:00Z"
# The longest duration a request may give: an instant of the system's range plus it stays far
# inside what datetime and PostgreSQL hold, and no list of the CRM looks further.
LONGEST_DURATION: Final = timedelta(days=3653)


def _iso_8601(value: object) -> object:
    if value is None or isinstance(value, datetime):
        return value  # absent, or built in code (Instant still wants its offset and range)
    if not isinstance(value, str):  # a JSON number would otherwise be read as Unix time
        raise ValueError(f"must be an ISO 8601 date-time string, e.g. {EXAMPLE}")
    try:
        # fromisoformat skips a NUL or other control character where a separator goes: such
        # text is no date-time a client meant, so it is refused rather than read.
        if not value.isprintable():
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"must be an ISO 8601 date-time, e.g. {EXAMPLE}") from None
    if moment.utcoffset() is None:
        raise ValueError(f"needs a UTC offset, e.g. {EXAMPLE}")
    return moment


# An aware datetime in the system's range, given as ISO 8601 text (or a datetime built in
# code): for instants in request bodies.
IsoInstant = Annotated[Instant, BeforeValidator(_iso_8601)]
# The same, optional: for query parameters.
OptionalInstant = Annotated[Instant | None, BeforeValidator(_iso_8601)]

AsOf = Annotated[
    OptionalInstant,
    Query(
        description=f"Evaluate at this instant (ISO 8601 with offset, e.g. {EXAMPLE}); default now."
    ),
]
From = Annotated[OptionalInstant, Query(alias="from", description="Start of the range.")]
To = Annotated[OptionalInstant, Query(alias="to", description="End of the range.")]


def _positive_and_bounded(duration: timedelta) -> timedelta:
    if not timedelta(0) < duration <= LONGEST_DURATION:
        raise ValueError("must be a positive ISO 8601 duration of at most ten years (P3653D)")
    return duration


# A duration given as ISO 8601 text (`P7D`, `PT12H`), more than zero and at most ten years.
IsoDuration = Annotated[timedelta, AfterValidator(_positive_and_bounded)]


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: no such instant in UTC
        raise ValueError("is out of range") from None


# An instant a cursor carries back: one the service read from its database (so not bounded to
# the range clients may give: the "who next" order puts never at 9999-12-31), aware and held
# in UTC, as PostgreSQL and datetime both hold it.
StoredInstant = Annotated[AwareDatetime, AfterValidator(_in_utc)]
