"""What every locally launched server has in common: ports, one-time setup, start, readiness,
and stopping several at once."""

from __future__ import annotations

import asyncio
import signal
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psutil
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from crm_devstack.processes import (
    Command,
    DevstackError,
    ServerProcess,
    describe_port_owner,
    port_is_free,
    stop_processes,
    tail,
)
from crm_devstack.settings import HOST, StackConfig


class _NotReadyYet(Exception):
    pass


@dataclass(frozen=True)
class ServerState:
    name: str
    pid: int | None
    answering: bool
    address: str
    log_file: Path


class LocalServer(ABC):
    name: ClassVar[str]
    # The signal that asks this server for a clean, prompt shutdown.
    stop_signal: ClassVar[int] = signal.SIGTERM
    start_timeout: ClassVar[float] = 60.0

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.process = ServerProcess(self.instance_name, config.run_dir, self.output_file)

    @property
    def instance_name(self) -> str:
        """The name of this process's pid file and log: the server's, unless it is one of
        several replicas (crm_devstack.replicas)."""
        return self.name

    @property
    def home(self) -> Path:
        """This server's own folder under the state dir."""
        return self.config.state_dir / self.name

    @property
    def log_file(self) -> Path:
        """The log to read first when this server misbehaves."""
        return self.config.logs_dir / f"{self.instance_name}.log"

    @property
    def output_file(self) -> Path:
        """Where the process's stdout and stderr go (the log itself, unless it has its own)."""
        return self.log_file

    def _log_excerpt(self) -> str:
        files = dict.fromkeys([self.log_file, self.output_file])
        return "\n".join(f"--- {path}:\n{tail(path)}" for path in files)

    @abstractmethod
    def ports(self) -> list[int]: ...

    @abstractmethod
    def address(self) -> str: ...

    @abstractmethod
    def missing_pieces(self) -> list[str]:
        """What install must fetch before this server can start (empty when all is present)."""

    @abstractmethod
    def prepare(self) -> None:
        """One-time setup of the server's storage; does nothing when it is already there."""

    @abstractmethod
    def command(self) -> Command: ...

    @abstractmethod
    async def answers(self) -> bool:
        """True once the server serves requests (not merely once its port is open)."""

    @abstractmethod
    async def provision(self) -> None:
        """Idempotent setup inside the running server (topics, databases)."""

    def running(self) -> psutil.Process | None:
        return self.process.running()

    async def state(self) -> ServerState:
        process = self.running()
        return ServerState(
            name=self.instance_name,
            pid=process.pid if process else None,
            answering=await self.answers() if process else False,
            address=self.address(),
            log_file=self.log_file,
        )

    async def ensure_running(self) -> bool:
        """Start the server unless it already runs; wait until it answers; provision it.

        Returns True when it was started now, False when it was already running.
        """
        started = False
        if self.running() is None:
            self._refuse_taken_ports()
            missing = self.missing_pieces()
            if missing:
                raise DevstackError(
                    f"{self.instance_name} cannot start, missing: {', '.join(missing)}. "
                    "Run `make install` (or `uv run crm-devstack install`)."
                )
            self.prepare()
            self.process.start(self.command())
            started = True
        await self._wait_until_answering()
        await self.provision()
        return started

    def _refuse_taken_ports(self) -> None:
        for port in self.ports():
            if not port_is_free(HOST, port) and not self.shares_port_with_listeners(port):
                raise DevstackError(
                    f"cannot start {self.instance_name}: port {port} on {HOST} is already taken by "
                    f"{describe_port_owner(port)}. Stop that program, or pick other ports "
                    "with the CRM_*_PORT environment variables."
                )

    def shares_port_with_listeners(self, port: int) -> bool:
        """True when whoever listens on the port may go on doing so beside this server (its
        own replicas); a server owns its ports alone unless it says otherwise."""
        return False

    async def _wait_until_answering(self) -> None:
        retrying = AsyncRetrying(
            stop=stop_after_delay(self.start_timeout),
            wait=wait_fixed(0.25),
            retry=retry_if_exception_type(_NotReadyYet),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if await self.answers():
                        return
                    if self.running() is None:
                        raise DevstackError(
                            f"{self.instance_name} exited while starting; see {self.log_file}\n"
                            + self._log_excerpt()
                        )
                    raise _NotReadyYet
        except _NotReadyYet:
            raise DevstackError(
                f"{self.instance_name} did not answer on {self.address()} within "
                f"{self.start_timeout:.0f}s; see {self.log_file}\n{self._log_excerpt()}"
            ) from None


async def stop_servers(servers: Sequence[LocalServer], grace: float) -> dict[str, str]:
    """Stop those of the servers that run, all at once and gracefully (each with its own stop
    signal; what has not stopped after grace seconds is killed). Per instance name: "not
    running", "stopped" or "killed (did not stop in time)"."""
    outcome: dict[str, str] = {}
    running = {}
    for server in servers:
        process = server.running()
        if process is None:
            outcome[server.instance_name] = "not running"
        else:
            running[server.instance_name] = (process, server.stop_signal)
    killed = await asyncio.to_thread(stop_processes, running, grace) if running else []
    for name in running:
        outcome[name] = "killed (did not stop in time)" if name in killed else "stopped"
    for server in servers:
        server.running()  # drops the now stale pid files
    return outcome
