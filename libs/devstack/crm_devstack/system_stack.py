"""The whole system for `make up`: infrastructure, then the five services, then the gateway.

Each service runs as many replicas as recorded for this state folder (crm_devstack.replicas):
one each unless `system up --replicas` said more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby
from pathlib import Path

from crm_devstack.app_servers import (
    APP_NAMES,
    APP_SERVER_TYPES,
    AppService,
    Gateway,
    service_replicas,
)
from crm_devstack.demo_account import (
    DEMO_ACCOUNT,
    LocalSecrets,
    console_address,
    demo_env_text,
    write_accounts_file,
)
from crm_devstack.local_server import LocalServer, ServerState, stop_servers
from crm_devstack.replicas import (
    forget_counts,
    record_counts,
    recorded_counts,
    running_replica_indexes,
)
from crm_devstack.settings import StackConfig
from crm_devstack.stack import STOP_TIMEOUT, bring_up
from crm_devstack.system_packages import install_packages, missing_packages
from crm_servicekit.auth import mint_token

TOKEN_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class SystemInfo:
    api: str
    console: str  # the web console's address, signing the demo account in
    account: str
    token: str
    webhook_secret: str
    demo_env: Path


async def bring_up_system(
    config: StackConfig,
    say: Callable[[str], None],
    replicas: Mapping[str, int] | None = None,
) -> SystemInfo:
    """Start whatever is not running yet and wait until every part answers.

    `replicas`: new counts for some services (recorded for later runs); the others keep the
    recorded ones. Replicas beyond a service's count are stopped.
    """
    run_dir = config.run_dir
    # Before anything starts: a user's account that cannot be kept stops the start here, with
    # the file as it was (each service's start writes it again, to the same content).
    local = LocalSecrets.load_or_create(config.state_dir)
    write_accounts_file(config.state_dir, local)
    counts = record_counts(run_dir, replicas) if replicas else recorded_counts(run_dir)
    await bring_up(config, None, say)
    await asyncio.to_thread(install_packages, missing_packages(["gateway"]), say)
    await stop_replicas_beyond(config, counts, say)
    # The services start side by side (each applies its own migrations), the first replica of
    # each before any second one: that one then takes its relay's lock and is the service's
    # first member of its consumer group. The gateway starts last.
    for _, replicas_of_round in groupby(service_replicas(config, counts), lambda r: r.replica):
        await asyncio.gather(*(replica.ensure_running() for replica in replicas_of_round))
    gateway = Gateway(config)
    await gateway.ensure_running()
    token = mint_token(local.jwt_secret, DEMO_ACCOUNT, "demo-user", TOKEN_TTL)
    api = f"{gateway.address()}/api"
    console = console_address(gateway.address(), token)
    # For a shell (the README's quick start sources it): the API, a token, the secrets.
    demo_env = config.state_dir / "demo.env"
    demo_env.write_text(demo_env_text(api, token, local, console))
    return SystemInfo(
        api=api,
        console=console,
        account=DEMO_ACCOUNT,
        token=token,
        webhook_secret=local.webhook_secret,
        demo_env=demo_env,
    )


def known_replicas(config: StackConfig) -> list[AppService]:
    """Every replica the recorded counts name, and any other that has a pid file (stopped
    by a count lowered meanwhile, or left by a crash), by service and replica number."""
    counts = recorded_counts(config.run_dir)
    found: list[AppService] = []
    for name in APP_NAMES:
        indexes = set(range(1, counts[name] + 1))
        indexes.update(running_replica_indexes(config.run_dir, name))
        found.extend(APP_SERVER_TYPES[name](config, index) for index in sorted(indexes))
    return found


def known_pieces(config: StackConfig) -> list[LocalServer]:
    """What `system status` lists and `crm-devstack kill` may name: the replicas, the gateway."""
    return [*known_replicas(config), Gateway(config)]


async def stop_replicas_beyond(
    config: StackConfig, counts: Mapping[str, int], say: Callable[[str], None]
) -> list[str]:
    """Stop every replica numbered beyond its service's count; the names of those stopped."""
    beyond = [r for r in known_replicas(config) if r.replica > counts[r.name]]
    # Reading a replica's pid file also drops it when stale: those not running are done.
    running = [replica for replica in beyond if replica.running() is not None]
    for replica in running:
        say(f"stopping {replica.instance_name}: beyond {replica.name}'s replica count")
    await stop_servers(running, STOP_TIMEOUT)
    return [replica.instance_name for replica in running]


async def bring_down_system(config: StackConfig) -> dict[str, str]:
    """Stop the gateway and every replica of the services (the infrastructure is
    `crm-devstack down`), and forget the replica counts: the next `system up` runs one each."""
    outcome = await stop_servers(known_pieces(config), STOP_TIMEOUT)
    forget_counts(config.run_dir)
    return outcome


async def stop_service(config: StackConfig, name: str) -> dict[str, str]:
    """Stop every replica of one service, gracefully as `system down` does, keeping the replica
    counts: the next `system up` starts them again (what `crm rebuild` needs in between)."""
    if name not in APP_NAMES:
        raise ValueError(f"unknown service {name!r}; one of: {', '.join(APP_NAMES)}")
    return await stop_servers([r for r in known_replicas(config) if r.name == name], STOP_TIMEOUT)


async def system_states(config: StackConfig) -> list[ServerState]:
    return list(await asyncio.gather(*(piece.state() for piece in known_pieces(config))))
