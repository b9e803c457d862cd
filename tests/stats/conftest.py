"""Fixtures of the stats tests: a second empty database for the replay test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from crm_devstack.databases import create_database, drop_database
from crm_devstack.servers_for_tests import run_coroutine


@pytest.fixture
def replay_database(postgres_url: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = run_coroutine(lambda: create_database(postgres_url, name))
    yield url
    run_coroutine(lambda: drop_database(postgres_url, name))
