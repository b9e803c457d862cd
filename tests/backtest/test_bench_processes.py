"""bench.system_cpu counts of a shared PostgreSQL only the backends serving the system."""

from __future__ import annotations

import asyncpg
import psutil
import pytest

from bench.system_processes import client_ports, is_system_postgres


async def test_a_backend_counts_when_its_client_is_one_of_the_measured_processes(
    postgres_url: str,
) -> None:
    connection = await asyncpg.connect(postgres_url)
    try:
        pid = await connection.fetchval("SELECT pg_backend_pid()")
        if not psutil.pid_exists(pid):
            pytest.skip("the PostgreSQL server runs out of sight (another machine or container)")
        backend = psutil.Process(pid)
        ours = client_ports([psutil.Process()])
        assert is_system_postgres(backend, ours)
        assert not is_system_postgres(backend, set())
    finally:
        await connection.close()
