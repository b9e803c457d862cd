"""Reading the values of Meta's webhook JSON: ids, times and nested objects (pure).

Meta sends ids as strings, except in some payloads (the Lead Ads notification) where they are
JSON numbers; times are milliseconds (Messenger, Instagram) or seconds (WhatsApp, where they
are strings, and Lead Ads). Each reader answers None for a value it cannot take, so that the
mapper turns it into a rejected item naming the field instead of raising.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from crm_schemas.instants import EARLIEST, LATEST

from .items import Connector, Item, SkipOutcome, Skipped

# The connector prefixes an id into an event id of at most 255 characters.
MAX_ID_LENGTH: Final = 200


def text_id(value: Any) -> str | None:
    """A provider id as text: a non-empty string, or a whole JSON number (not a boolean)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and value and len(value) <= MAX_ID_LENGTH and value.isprintable():
        return value
    return None


def member(value: Any, key: str) -> Any:
    """`value[key]` when value is an object, else None."""
    return value.get(key) if isinstance(value, dict) else None


def objects(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def instant_from_ms(value: Any) -> datetime | None:
    return _instant(value, 1000)


def instant_from_seconds(value: Any) -> datetime | None:
    return _instant(value, 1)


def _instant(value: Any, per_second: int) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int | float):
        return None
    try:
        if isinstance(value, int):
            # Whole numbers stay exact: a float of milliseconds may round a millisecond off.
            seconds, rest = divmod(value, per_second)
            fraction = timedelta(microseconds=rest * 1_000_000 // per_second)
            moment = datetime.fromtimestamp(seconds, tz=UTC) + fraction
        else:
            moment = datetime.fromtimestamp(value / per_second, tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return moment if EARLIEST <= moment < LATEST else None


def rejected(connector: Connector, provider_id: str, reason: str) -> Item:
    """A structurally broken part of a delivery, judged `rejected` with the field named."""
    return Item(connector, provider_id, None, Skipped(SkipOutcome.REJECTED, reason))
