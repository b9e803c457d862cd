"""A PNG's size, read from its header (the IHDR chunk that every PNG begins with)."""

from __future__ import annotations

import struct
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels; AssertionError when the file is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == SIGNATURE, f"{path.name} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path.name} does not begin with its header"
    width, height = struct.unpack(">II", head[16:24])
    return width, height
