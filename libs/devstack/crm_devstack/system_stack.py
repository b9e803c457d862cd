"""The whole system for `make up`: infrastructure, then the five services, then the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from crm_devstack.app_servers import Gateway, system_servers
from crm_devstack.demo_account import DEMO_ACCOUNT, LocalSecrets, demo_env_text
from crm_devstack.local_server import ServerState
from crm_devstack.processes import stop_processes
from crm_devstack.settings import StackConfig
from crm_devstack.stack import STOP_TIMEOUT, bring_up
from crm_devstack.system_packages import install_packages, missing_packages
from crm_servicekit.auth import mint_token

TOKEN_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class SystemInfo:
    api: str
    account: str
    token: str
    webhook_secret: str
    demo_env: Path


async def bring_up_system(config: StackConfig, say: Callable[[str], None]) -> SystemInfo:
    """Start whatever is not running yet and wait until every part answers."""
    await bring_up(config, None, say)
    await asyncio.to_thread(install_packages, missing_packages(["gateway"]), say)
    *services, gateway = system_servers(config)
    # The services start side by side (each applies its own migrations), the gateway after.
    await asyncio.gather(*(service.ensure_running() for service in services))
    await gateway.ensure_running()
    local = LocalSecrets.load_or_create(config.state_dir)
    token = mint_token(local.jwt_secret, DEMO_ACCOUNT, "demo-user", TOKEN_TTL)
    api = f"{Gateway(config).address()}/api"
    # For a shell (the README's quick start sources it): the API, a token, the secrets.
    demo_env = config.state_dir / "demo.env"
    demo_env.write_text(demo_env_text(api, token, local))
    return SystemInfo(
        api=api,
        account=DEMO_ACCOUNT,
        token=token,
        webhook_secret=local.webhook_secret,
        demo_env=demo_env,
    )


async def bring_down_system(config: StackConfig) -> dict[str, str]:
    """Stop the gateway and the services (the infrastructure is `crm-devstack down`)."""
    running = {}
    outcome: dict[str, str] = {}
    for server in system_servers(config):
        process = server.running()
        if process is None:
            outcome[server.name] = "not running"
        else:
            running[server.name] = (process, server.stop_signal)
    killed = await asyncio.to_thread(stop_processes, running, STOP_TIMEOUT)
    for name in running:
        outcome[name] = "killed (did not stop in time)" if name in killed else "stopped"
    for server in system_servers(config):
        server.running()  # drops stale pid files
    return outcome


async def system_states(config: StackConfig) -> list[ServerState]:
    return list(await asyncio.gather(*(server.state() for server in system_servers(config))))
