"""Fixtures of the local launcher's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .console_files import made_console_build


@pytest.fixture
def console_build() -> Iterator[Path]:
    yield from made_console_build()
