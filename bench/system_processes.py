"""The running system's processes, grouped as the capacity figures name them, and their CPU.

Each group is a server the devstack started and recorded in its state dir (`run/*.pid`):
the five services (every replica of each: `make up REPLICAS=...`), PostgreSQL, the Kafka
broker, Redis and the nginx gateway. A group's CPU is user + system time (from
/proc/<pid>/stat, read through psutil) of its recorded processes and of their live
descendants (nginx's workers, PostgreSQL's backends), plus what their exited children left
in the parents' cutime/cstime.

PostgreSQL and Kafka are shared with whoever else uses the same servers (tests run their own
databases and topics on them): of PostgreSQL only the server's own processes and the
backends whose client is a connection of the system's processes count, and its exited
children are left out (they may be anyone's backends). Kafka is one JVM and cannot be split
that way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import psutil

from crm_devstack.settings import StackConfig
from crm_devstack.stack import servers
from crm_devstack.system_stack import known_pieces

CpuSeconds = dict[str, float]


@dataclass(frozen=True)
class SystemProcesses:
    # group name → the processes the devstack recorded (a service's replicas share its name)
    roots: Mapping[str, list[psutil.Process]]

    @classmethod
    def find(cls, config: StackConfig) -> SystemProcesses:
        """Every server of the system, or an error naming those that are not running."""
        found: dict[str, list[psutil.Process]] = {}
        missing = []
        for server in [*known_pieces(config), *servers(config)]:
            process = server.running()
            if process is None:
                missing.append(getattr(server, "instance_name", server.name))
            else:
                found.setdefault(server.name, []).append(process)
        if missing:
            raise RuntimeError(
                f"not running: {', '.join(missing)} (state dir {config.state_dir}); "
                "start the system with `uv run crm-devstack system up`"
            )
        return cls(found)

    def cpu_seconds(self) -> CpuSeconds:
        """CPU seconds each group has used so far."""
        clients = client_ports(
            [root for name, roots in self.roots.items() if name != "postgres" for root in roots]
        )
        return {
            name: sum(_group_cpu(name, root, clients) for root in roots)
            for name, roots in self.roots.items()
        }


def client_ports(roots: list[psutil.Process]) -> set[int]:
    """The local TCP ports of the processes' connections (and their children's)."""
    ports: set[int] = set()
    for root in roots:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            for process in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    ports.update(c.laddr.port for c in process.net_connections(kind="tcp"))
    return ports


def _own_time(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def is_system_postgres(process: psutil.Process, clients: set[int]) -> bool:
    """The server's own workers (checkpointer, walwriter, ...) and the backends serving the
    system's connections; a client backend is titled
    `postgres: <user> <database> <host>(<port>) <state>`."""
    words = " ".join(process.cmdline()).split()
    if len(words) < 4 or "(" not in words[3]:
        return True
    port = words[3].rsplit("(", 1)[1].rstrip(")")
    return port.isdigit() and int(port) in clients


def _group_cpu(name: str, root: psutil.Process, clients: set[int]) -> float:
    times = root.cpu_times()
    total = float(times.user + times.system)
    if name != "postgres":
        total += float(times.children_user + times.children_system)
    for child in root.children(recursive=True):
        # A child may exit between the listing and the reading: its time is then in cutime.
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            if name != "postgres" or is_system_postgres(child, clients):
                total += _own_time(child)
    return total


def used_between(before: CpuSeconds, after: CpuSeconds) -> CpuSeconds:
    return {name: max(0.0, after[name] - before.get(name, 0.0)) for name in after}
