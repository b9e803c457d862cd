"""Backtest tests: pure ones run everywhere; `e2e` ones need the whole system."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crm_backtest.client import Credentials, Gateway
from crm_devstack import console_build
from crm_devstack.servers_for_tests import run_coroutine
from crm_devstack.settings import StackConfig
from crm_devstack.system_stack import bring_down_system, bring_up_system, system_states

from .browser import Browser, browser_binaries, open_browser


def pytest_configure(config: pytest.Config) -> None:
    # The root pytest config is not ours to edit; --strict-markers needs the marker known.
    config.addinivalue_line(
        "markers", "e2e: the whole system through the gateway (brought up by the fixture)"
    )
    config.addinivalue_line(
        "markers", "chaos: kills and restarts servers and services; runs after every other test"
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The chaos tests go last in the whole session, in their order: they kill Kafka, PostgreSQL,
    Redis and the services, which every other test of the session may be using."""
    items.sort(key=lambda item: item.get_closest_marker("chaos") is not None)


@dataclass(frozen=True)
class System:
    api: str
    credentials: Credentials
    state_dir: Path


@pytest.fixture(scope="session")
def system() -> Iterator[System]:
    """The whole system, brought up if needed; stopped afterwards only if we started it."""
    config = StackConfig.from_env()
    states = run_coroutine(lambda: system_states(config))
    was_running = any(state.answering for state in states if state.name == "gateway")
    info = run_coroutine(lambda: bring_up_system(config, lambda _: None))
    yield System(info.api, Credentials.from_state_dir(config.state_dir), config.state_dir)
    if not was_running:
        run_coroutine(lambda: bring_down_system(config))


@pytest.fixture
async def gateway(system: System) -> AsyncIterator[Gateway]:
    async with Gateway(system.api, system.credentials) as client:
        yield client


# The console's browser tests (test_console_*): Debian's Chromium, a fresh browser per test.
@pytest.fixture(scope="module")
def binaries() -> tuple[str, str]:
    found = browser_binaries()
    # The gateway serves console/dist; `make install` builds it, and so does this, when stale.
    console_build.build_console(print)
    return found


@pytest.fixture
def browser(binaries: tuple[str, str]) -> Iterator[Browser]:
    yield from open_browser(*binaries)
