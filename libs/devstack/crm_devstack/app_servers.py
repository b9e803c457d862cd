"""The five services and the nginx gateway as local processes, beside the infrastructure.

They use the same pid-file, port-check and readiness machinery as Kafka, PostgreSQL and
Redis, so `make up` and `make down` treat the whole system alike.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import httpx

from crm_devstack import console_build
from crm_devstack.demo_account import LocalSecrets, write_accounts_file
from crm_devstack.gateway_binary import nginx_binary
from crm_devstack.gateway_config import render
from crm_devstack.gateway_routes import GATEWAY_PORT, SERVICE_PORTS
from crm_devstack.local_server import LocalServer
from crm_devstack.processes import Command, DevstackError, listening_pids
from crm_devstack.replicas import replica_name, running_replica_indexes
from crm_devstack.settings import HOST, StackConfig
from crm_servicekit.health import instance_name as health_instance_name

APP_NAMES: tuple[str, ...] = tuple(SERVICE_PORTS)


# Requests per replica of the service before a replica is taken as not answering: the kernel
# picks among the port's listeners by hashing each connection's addresses, so one replica of
# two is missed by 16 new connections once in 65,536 checks.
PROBES_PER_REPLICA = 16


async def _answers_200(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def answered_by(url: str, instance: str, attempts: int) -> bool:
    """True when one of `attempts` GETs, each on a new connection, is answered 200 by the
    process named `instance` (the `instance` of servicekit's health answers)."""
    # No keep-alive: each request a new connection, which the kernel may give any replica.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=2.0, limits=limits) as client:
        for _ in range(attempts):
            try:
                response = await client.get(url)
            except httpx.HTTPError:
                continue
            if response.status_code == 200 and _instance_of(response) == instance:
                return True
    return False


def _instance_of(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("instance") if isinstance(body, dict) else None


class AppService(LocalServer):
    """One process of a service (`crm-<name>`): its API, consumer, relay and loops.

    Replica `replica` of the service; every replica listens on the service's one port.
    """

    name: ClassVar[str]
    start_timeout: ClassVar[float] = 120.0

    def __init__(self, config: StackConfig, replica: int = 1) -> None:
        self.replica = replica
        super().__init__(config)

    @property
    def instance_name(self) -> str:
        return replica_name(self.name, self.replica)

    @property
    def port(self) -> int:
        return SERVICE_PORTS[self.name]

    def ports(self) -> list[int]:
        return [self.port]

    def address(self) -> str:
        return f"http://{HOST}:{self.port}"

    def missing_pieces(self) -> list[str]:
        return [] if self._executable().exists() else [f"crm-{self.name} (run `make install`)"]

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)

    def _executable(self) -> Path:
        # The console script uv installed beside this interpreter, in the project's .venv.
        return Path(sys.executable).parent / f"crm-{self.name}"

    def command(self) -> Command:
        local = LocalSecrets.load_or_create(self.config.state_dir)
        prefix = self.name.upper()
        env = {
            **self.config.endpoints.as_env(),
            "CRM_ENVIRONMENT": "development",
            "CRM_ACCOUNTS_FILE": str(write_accounts_file(self.config.state_dir, local)),
            "CRM_JWT_SECRET": local.jwt_secret,
            "CRM_SERVICE_TOKEN": local.service_token,
            f"{prefix}_HTTP_HOST": HOST,
            f"{prefix}_HTTP_PORT": str(self.port),
            # Always, even for one replica: a running system can then be given more replicas
            # by a later `system up --replicas`, and a killed replica be replaced while the
            # others keep the port. The launcher still refuses to start a replica beside a
            # program that is not one of the service's (shares_port_with_listeners).
            f"{prefix}_HTTP_REUSE_PORT": "true",
            "CUSTOMERS_INGEST_URL": f"http://{HOST}:{SERVICE_PORTS['ingest']}",
            # pydantic-settings reads a tuple field from the environment as a JSON list.
            "INGEST_META_APP_SECRETS": json.dumps([local.meta_app_secret]),
            "INGEST_META_VERIFY_TOKENS": json.dumps([local.meta_verify_token]),
        }
        return Command(argv=[str(self._executable())], env=env, cwd=self.home)

    async def answers(self) -> bool:
        """True once this very process answers ready. The replicas share the port and the
        kernel spreads new connections among them, so the check asks on new connections
        until this replica answers or every replica had several chances to."""
        process = self.running()
        if process is None:
            return False
        return await answered_by(
            f"{self.address()}/health/ready",
            health_instance_name(process.pid),
            attempts=PROBES_PER_REPLICA * max(1, len(self.sibling_pids())),
        )

    def sibling_pids(self) -> set[int]:
        """The live processes of every replica of this service, this one's included."""
        found = set()
        for index in running_replica_indexes(self.config.run_dir, self.name):
            process = type(self)(self.config, index).running()
            if process is not None:
                found.add(process.pid)
        return found

    def shares_port_with_listeners(self, port: int) -> bool:
        # None (a listener whose pid we may not see) is never one of ours.
        ours: set[int | None] = set(self.sibling_pids())
        listeners = listening_pids(port)
        return bool(listeners) and listeners <= ours

    async def provision(self) -> None:
        """Services apply their own migrations at start; nothing to do from outside."""


def _service_class(service: str) -> type[AppService]:
    return type(f"{service.title()}Service", (AppService,), {"name": service})


APP_SERVER_TYPES: dict[str, type[AppService]] = {name: _service_class(name) for name in APP_NAMES}


class Gateway(LocalServer):
    """nginx from Debian's packages: one /api on 127.0.0.1:8000 in front of the services."""

    name: ClassVar[str] = "gateway"

    def ports(self) -> list[int]:
        return [GATEWAY_PORT]

    def address(self) -> str:
        return f"http://{HOST}:{GATEWAY_PORT}"

    def missing_pieces(self) -> list[str]:
        return [] if nginx_binary() else ["nginx (apt-get install -y nginx)"]

    @property
    def config_file(self) -> Path:
        return self.home / "nginx.conf"

    def prepare(self) -> None:
        for part in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.home / "tmp" / part).mkdir(parents=True, exist_ok=True)
        self.config.logs_dir.mkdir(parents=True, exist_ok=True)
        upstreams = {name: f"{HOST}:{port}" for name, port in SERVICE_PORTS.items()}
        self.config_file.write_text(
            render(
                listen=f"{HOST}:{GATEWAY_PORT}",
                upstreams=upstreams,
                home=self.home,
                logs=self.config.logs_dir,
                console=console_build.DIST,
            )
        )

    def command(self) -> Command:
        binary = nginx_binary()
        if binary is None:
            raise DevstackError("nginx not found; run `make install`")
        return Command(argv=[binary, "-c", str(self.config_file), "-p", str(self.home)])

    async def answers(self) -> bool:
        return await _answers_200(f"{self.address()}/gateway/health")

    async def provision(self) -> None:
        """Nothing to create: the configuration is written before start."""


def service_replicas(config: StackConfig, counts: Mapping[str, int]) -> list[AppService]:
    """Every replica of every service, by replica number first: the first replica of each
    service, then the second of each, and so on (services in APP_NAMES order)."""
    return [
        APP_SERVER_TYPES[name](config, index)
        for index in range(1, max(counts.values(), default=1) + 1)
        for name in APP_NAMES
        if index <= counts.get(name, 1)
    ]


def system_servers(
    config: StackConfig, counts: Mapping[str, int] | None = None
) -> list[LocalServer]:
    """In start order: the services' replicas (ingest first: customers claims identities
    there), then the gateway in front of them. One replica each unless counts say more."""
    return [*service_replicas(config, counts or {}), Gateway(config)]
