"""Instants in query strings (`as_of`, `from`, `to`): ISO 8601 with a UTC offset, nothing else.

Pydantic's lax datetime parsing also takes a number as Unix time, so `?as_of=0.5` would be read
as 1970-01-01 and answered 200 with figures for the wrong moment. A client sending seconds by
mistake gets a 422 naming the parameter instead, as the OpenAPI document (`format: date-time`)
already says.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime, BeforeValidator

EXAMPLE = "2026-11-02T09:00:00Z"


def _iso_8601(value: object) -> object:
    if not isinstance(value, str):
        return value  # None, or a datetime built in code (AwareDatetime still wants its offset)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"must be an ISO 8601 date-time, e.g. {EXAMPLE}") from None
    if moment.utcoffset() is None:
        raise ValueError(f"needs a UTC offset, e.g. {EXAMPLE}")
    return moment


# An optional aware datetime, given as ISO 8601 text (or a datetime object built in code).
OptionalInstant = Annotated[AwareDatetime | None, BeforeValidator(_iso_8601)]

AsOf = Annotated[
    OptionalInstant,
    Query(
        description=f"Evaluate at this instant (ISO 8601 with offset, e.g. {EXAMPLE}); default now."
    ),
]
From = Annotated[OptionalInstant, Query(alias="from", description="Start of the range.")]
To = Annotated[OptionalInstant, Query(alias="to", description="End of the range.")]
