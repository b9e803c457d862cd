"""bench.system_cpu's processes: every replica of a service in its group, and of a shared
PostgreSQL only the backends serving the system."""

from __future__ import annotations

import contextlib
from pathlib import Path

import asyncpg
import psutil
import pytest

from bench.system_processes import SystemProcesses, client_ports, is_system_postgres
from crm_devstack.app_servers import APP_NAMES
from crm_devstack.processes import Command, ServerProcess
from crm_devstack.replicas import record_counts
from crm_devstack.settings import Ports, StackConfig
from crm_devstack.stack import servers


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


def test_every_replica_of_a_service_counts_in_its_service_group(tmp_path: Path) -> None:
    config = StackConfig(state_dir=tmp_path, ports=Ports())
    record_counts(config.run_dir, {"customers": 2})
    names = [*APP_NAMES, "customers-2", "gateway", *(s.name for s in servers(config))]
    started = {
        name: ServerProcess(name, config.run_dir, config.logs_dir / f"{name}.log").start(
            Command(argv=["sleep", "300"])
        )
        for name in names
    }
    try:
        found = SystemProcesses.find(config)
        assert sorted(p.pid for p in found.roots["customers"]) == sorted(
            [started["customers"].pid, started["customers-2"].pid]
        )
        assert "customers-2" not in found.roots
        assert set(found.cpu_seconds()) == set(found.roots)

        started["customers-2"].kill()
        started["customers-2"].wait(timeout=10)
        with pytest.raises(RuntimeError, match="customers-2"):
            SystemProcesses.find(config)
    finally:
        for process in started.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
