"""Durations and instants as operators type them on the command line (`8h`, `PT8H`, ISO 8601)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer
from pydantic import TypeAdapter, ValidationError

_SHORT_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``8h``, ``7d``, an ISO 8601 duration (``PT8H``) or plain seconds."""
    if match := _SHORT_DURATION.match(text.strip()):
        return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])
    try:
        return TypeAdapter(timedelta).validate_python(text)
    except ValidationError:
        raise typer.BadParameter(f"not a duration: {text!r} (try 8h, 30m, PT8H)") from None


def parse_since(text: str, now: datetime) -> datetime:
    """A starting instant: ISO 8601 with an offset (``2026-11-02T09:00:00Z``), or a duration
    back from `now` (``2h``, ``PT30M``)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return now - parse_duration(text)
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{text!r} has no UTC offset (write 2026-11-02T09:00:00Z)")
    return moment.astimezone(UTC)
