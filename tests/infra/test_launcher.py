"""The local launcher: idempotent `up`, a truthful `status`, and `down`/`up` keeping data."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from crm_devstack import Endpoints, StackConfig, ensure_up
from crm_devstack.cli import app
from crm_devstack.postgres_server import OUTSIDE_DATA_ROOT
from crm_devstack.processes import free_port
from crm_devstack.servers_for_tests import (
    ENV_DATABASE,
    ENV_KAFKA,
    ENV_REDIS,
    docker_answers,
    run_coroutine,
)
from crm_devstack.settings import Ports
from crm_devstack.stack import bring_down, bring_up, states

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local_endpoints() -> Endpoints:
    if any(os.environ.get(name) for name in (ENV_KAFKA, ENV_DATABASE, ENV_REDIS)):
        pytest.skip("servers are given by the environment; the launcher is not in use")
    if docker_answers():
        pytest.skip("a Docker engine answers; the tests use containers, not the launcher")
    return ensure_up()


def running_pids(config: StackConfig) -> dict[str, int | None]:
    return {state.name: state.pid for state in run_coroutine(lambda: states(config))}


def test_second_ensure_up_finds_the_running_servers(local_endpoints: Endpoints) -> None:
    config = StackConfig.from_env()
    before = running_pids(config)
    assert ensure_up() == local_endpoints
    assert running_pids(config) == before
    assert None not in before.values()


def test_status_reports_every_server_running(local_endpoints: Endpoints) -> None:
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1] for line in result.output.splitlines() if line}
    assert lines == {"kafka": "running", "postgres": "running", "redis": "running"}


@pytest.fixture
def private_stack(tmp_path: Path) -> Iterator[StackConfig]:
    """PostgreSQL and Redis of a state dir of their own, on free ports; removed afterwards."""
    config = StackConfig(
        state_dir=tmp_path / "state",
        ports=Ports(
            kafka=free_port(), kafka_controller=free_port(), postgres=free_port(), redis=free_port()
        ),
    )
    yield config
    run_coroutine(lambda: bring_down(config))
    # The cluster lives outside the state dir when the postgres user cannot enter it (pytest's
    # tmp_path is private to root): remove that folder too.
    data = (config.state_dir / "postgres" / "data").resolve()
    outside = OUTSIDE_DATA_ROOT in data.parents
    shutil.rmtree(data.parent if outside else data, ignore_errors=True)


def test_down_then_up_keeps_the_data(private_stack: StackConfig) -> None:
    names = ["postgres", "redis"]
    assert run_coroutine(lambda: bring_up(private_stack, names)) == {
        "postgres": True,
        "redis": True,
    }
    url = private_stack.endpoints.postgres_url

    async def create_marker() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        finally:
            await connection.close()

    run_coroutine(create_marker)
    assert run_coroutine(lambda: bring_down(private_stack)) == {
        "kafka": "not running",
        "postgres": "stopped",
        "redis": "stopped",
    }
    assert set(running_pids(private_stack).values()) == {None}

    assert run_coroutine(lambda: bring_up(private_stack, names)) == {
        "postgres": True,
        "redis": True,
    }

    async def read_marker() -> object:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetchval("SELECT n FROM kept")
        finally:
            await connection.close()

    assert run_coroutine(read_marker) == 42
