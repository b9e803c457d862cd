"""Durations as operators type them on the command line (`8h`, `30m`, `PT8H`)."""

from __future__ import annotations

import re
from datetime import timedelta

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
