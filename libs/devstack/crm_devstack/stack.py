"""The three local servers as one stack: install, bring up, report, bring down.

This is the code path shared by `make up` (through the CLI) and the test fixtures (through
ensure_up), so the servers a developer runs are the ones the tests run against.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from crm_devstack.console_build import build_console
from crm_devstack.kafka_broker import KafkaBroker, kafka_version
from crm_devstack.local_server import LocalServer, ServerState, stop_servers
from crm_devstack.postgres_server import PostgresServer
from crm_devstack.redis_server import RedisServer
from crm_devstack.settings import Endpoints, StackConfig
from crm_devstack.system_packages import install_packages, missing_packages

SERVER_NAMES: tuple[str, ...] = ("kafka", "postgres", "redis")
_SERVER_TYPES: dict[str, type[LocalServer]] = {
    "kafka": KafkaBroker,
    "postgres": PostgresServer,
    "redis": RedisServer,
}
STOP_TIMEOUT = 60.0


def _quiet(_: str) -> None:
    pass


def servers(config: StackConfig, names: Sequence[str] | None = None) -> list[LocalServer]:
    chosen = SERVER_NAMES if names is None else names
    unknown = set(chosen) - set(SERVER_NAMES)
    if unknown:
        raise ValueError(f"unknown servers {sorted(unknown)}; known: {', '.join(SERVER_NAMES)}")
    return [_SERVER_TYPES[name](config) for name in SERVER_NAMES if name in chosen]


@asynccontextmanager
async def _stack_lock(config: StackConfig) -> AsyncIterator[None]:
    """One launcher at a time per state dir (e.g. `make up` while a test session starts)."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    with (config.state_dir / ".lock").open("w") as lock_file:
        await asyncio.to_thread(fcntl.flock, lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def install(
    config: StackConfig,
    names: Sequence[str] | None = None,
    say: Callable[[str], None] = _quiet,
) -> None:
    """Fetch whatever the chosen servers lack; quick and silent when nothing is missing."""
    chosen = [server.name for server in servers(config, names)]
    # The whole install (names None) also brings the gateway's nginx and the console it
    # serves (Node.js and npm, then the console's packages and build) for `make up`, and wrk
    # for `make bench`.
    wanted = chosen if names is not None else [*chosen, "gateway", "console", "loadgen"]
    install_packages(missing_packages(wanted), say)
    if names is None:
        build_console(say)
    if "kafka" in chosen:
        broker = KafkaBroker(config)
        if not broker.jars_present():
            say(f"fetching Kafka {kafka_version()} jars with Maven into {broker.jars_dir}")
            broker.install_jars()


async def bring_up(
    config: StackConfig,
    names: Sequence[str] | None = None,
    say: Callable[[str], None] = _quiet,
) -> dict[str, bool]:
    """Install what is missing, start what is not running, wait until all answer.

    Returns, per server, whether it was started now (False: it was already running).
    """
    chosen = servers(config, names)
    async with _stack_lock(config):
        await asyncio.to_thread(install, config, [s.name for s in chosen], say)
        # Concurrently: PostgreSQL and Redis are ready while the JVM is still warming up.
        started = await asyncio.gather(*(server.ensure_running() for server in chosen))
    return {server.name: was_started for server, was_started in zip(chosen, started, strict=True)}


async def ensure_up_async(
    state_dir: Path | str | None = None, names: Sequence[str] | None = None
) -> Endpoints:
    config = StackConfig.from_env(state_dir)
    await bring_up(config, names)
    return config.endpoints


def ensure_up(state_dir: Path | str | None = None, names: Sequence[str] | None = None) -> Endpoints:
    """Make sure the local servers run (all, or the named ones) and return their addresses.

    Safe to call any number of times: running servers are found and left alone. From inside a
    running event loop, await ensure_up_async instead.
    """
    return asyncio.run(ensure_up_async(state_dir, names))


async def states(config: StackConfig) -> list[ServerState]:
    return list(await asyncio.gather(*(server.state() for server in servers(config))))


async def bring_down(config: StackConfig, names: Sequence[str] | None = None) -> dict[str, str]:
    """Stop the servers (all, or the named ones) cleanly; their data stays for the next `up`."""
    chosen = servers(config, names)
    async with _stack_lock(config):
        return await stop_servers(chosen, STOP_TIMEOUT)
