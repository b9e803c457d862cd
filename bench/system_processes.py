"""The running system's processes, grouped as the capacity figures name them, and their CPU.

Each group is a server the devstack started and recorded in its state dir (`run/*.pid`):
the five services, PostgreSQL, the Kafka broker, Redis and the nginx gateway. A group's CPU
is user + system time (from /proc/<pid>/stat, read through psutil) of the recorded process
and of its live descendants (ingest's replicas, nginx's workers, PostgreSQL's backends), plus
what its exited children left in the parent's cutime/cstime.

PostgreSQL and Kafka are shared with whoever else uses the same servers (tests run their own
databases and topics on them): of PostgreSQL only the server's own processes and the
backends connected to the services' databases count, and its exited children are left out
(they may be anyone's backends). Kafka is one JVM and cannot be split that way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import psutil

from crm_devstack.app_servers import system_servers
from crm_devstack.settings import SERVICE_DATABASES, StackConfig
from crm_devstack.stack import servers

CpuSeconds = dict[str, float]


@dataclass(frozen=True)
class SystemProcesses:
    roots: Mapping[str, psutil.Process]  # group name → the process the devstack recorded

    @classmethod
    def find(cls, config: StackConfig) -> SystemProcesses:
        """Every server of the system, or an error naming those that are not running."""
        found: dict[str, psutil.Process] = {}
        missing = []
        for server in [*system_servers(config), *servers(config)]:
            process = server.running()
            if process is None:
                missing.append(server.name)
            else:
                found[server.name] = process
        if missing:
            raise RuntimeError(
                f"not running: {', '.join(missing)} (state dir {config.state_dir}); "
                "start the system with `uv run crm-devstack system up`"
            )
        return cls(found)

    def cpu_seconds(self) -> CpuSeconds:
        """CPU seconds each group has used so far."""
        return {name: _group_cpu(name, root) for name, root in self.roots.items()}


def _own_time(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _is_system_postgres(process: psutil.Process) -> bool:
    """The server's own workers (checkpointer, walwriter, ...) and the services' backends;
    a client backend is titled `postgres: <user> <database> <host>(<port>) <state>`."""
    words = " ".join(process.cmdline()).split()
    is_client_backend = len(words) >= 4 and "(" in words[3]
    return not is_client_backend or words[2] in SERVICE_DATABASES


def _group_cpu(name: str, root: psutil.Process) -> float:
    times = root.cpu_times()
    total = float(times.user + times.system)
    if name != "postgres":
        total += float(times.children_user + times.children_system)
    for child in root.children(recursive=True):
        # A child may exit between the listing and the reading: its time is then in cutime.
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            if name != "postgres" or _is_system_postgres(child):
                total += _own_time(child)
    return total


def used_between(before: CpuSeconds, after: CpuSeconds) -> CpuSeconds:
    return {name: max(0.0, after[name] - before.get(name, 0.0)) for name in after}
