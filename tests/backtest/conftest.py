"""Backtest tests: pure ones run everywhere; `e2e` ones need the whole system."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # The root pytest config is not ours to edit; --strict-markers needs the marker known.
    config.addinivalue_line(
        "markers", "e2e: the whole system through the gateway (brought up by the fixture)"
    )
