"""The range of instants the system takes: from the Unix epoch to the year 3000.

Outside it nothing is real CRM data, and arithmetic on it breaks: a day's local midnight or a
reminder two hours before a year-1 booking is out of datetime's range. So an event's
timestamp, its booking time and a query's `as_of` outside the range are refused (422) where
they come in, instead of failing later in a consumer. The end matches the CAPI `event_time`
bound (Unix seconds before the year 3000).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime

EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(3000, 1, 1, tzinfo=UTC)  # excluded


def _in_range(moment: datetime) -> datetime:
    # Comparing aware datetimes asks each for its UTC offset, about 1.5 us, and every message a
    # consumer decodes has a timestamp; an offset is less than a day, so only the first and the
    # last year can hold an instant out of range.
    if EARLIEST.year < moment.year < LATEST.year - 1:
        return moment
    if not EARLIEST <= moment < LATEST:
        raise ValueError("must be from 1970-01-01T00:00:00Z to before 3000-01-01T00:00:00Z")
    return moment


Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
