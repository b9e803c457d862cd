"""Instants in requests (`as_of`, `from`, `to`, body times): ISO 8601 with a UTC offset only.

Pydantic's lax datetime parsing also takes a number as Unix time, so `?as_of=0.5` would be read
as 1970-01-01 and answered 200 with figures for the wrong moment. A client sending seconds by
mistake gets a 422 naming the parameter instead, as the OpenAPI document (`format: date-time`)
already says. The range is crm_schemas.instants's, the events' own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator

from crm_schemas.instants import Instant

EXAMPLE = "2026-11-02T09:00:00Z"


def _iso_8601(value: object) -> object:
    if value is None or isinstance(value, datetime):
        return value  # absent, or built in code (Instant still wants its offset and range)
    if not isinstance(value, str):  # a JSON number would otherwise be read as Unix time
        raise ValueError(f"must be an ISO 8601 date-time string, e.g. {EXAMPLE}")
    try:
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
