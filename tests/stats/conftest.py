"""Fixtures of the stats tests: a stats service on the test's servers, a second empty database
for the replay test."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_devstack.databases import create_database, drop_database
from crm_devstack.servers_for_tests import run_coroutine

from .service_support import StartStats, running_stats


@pytest.fixture
def start_stats(
    tmp_path: Path, new_database: str, kafka_bootstrap: str, redis_url: str
) -> StartStats:
    """start_stats(topic=, accounts=, clock=): running_stats on the test's own database, the
    shared Kafka and (unless redis_url= names another) the shared Redis."""
    return functools.partial(
        running_stats,
        tmp_path=tmp_path,
        database_url=new_database,
        kafka_bootstrap=kafka_bootstrap,
        redis_url=redis_url,
    )


@pytest.fixture
def replay_database(postgres_url: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = run_coroutine(lambda: create_database(postgres_url, name))
    yield url
    run_coroutine(lambda: drop_database(postgres_url, name))
