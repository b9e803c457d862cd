"""The five services and the nginx gateway as local processes, beside the infrastructure.

They use the same pid-file, port-check and readiness machinery as Kafka, PostgreSQL and
Redis, so `make up` and `make down` treat the whole system alike.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import ClassVar

import httpx

from crm_devstack.demo_account import LocalSecrets, write_accounts_file
from crm_devstack.gateway_binary import nginx_binary
from crm_devstack.gateway_config import render
from crm_devstack.gateway_routes import GATEWAY_PORT, SERVICE_PORTS
from crm_devstack.local_server import LocalServer
from crm_devstack.processes import Command, DevstackError
from crm_devstack.settings import HOST, StackConfig

APP_NAMES: tuple[str, ...] = tuple(SERVICE_PORTS)


async def _answers_200(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


class AppService(LocalServer):
    """One service (`crm-<name>`): its API, consumer, relay and loops in one process."""

    name: ClassVar[str]
    start_timeout: ClassVar[float] = 120.0

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
            "CUSTOMERS_INGEST_URL": f"http://{HOST}:{SERVICE_PORTS['ingest']}",
            # pydantic-settings reads a tuple field from the environment as a JSON list.
            "INGEST_META_APP_SECRETS": json.dumps([local.meta_app_secret]),
            "INGEST_META_VERIFY_TOKENS": json.dumps([local.meta_verify_token]),
        }
        return Command(argv=[str(self._executable())], env=env, cwd=self.home)

    async def answers(self) -> bool:
        return await _answers_200(f"{self.address()}/health/ready")

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


def system_servers(config: StackConfig) -> list[LocalServer]:
    """In start order: the services (ingest first: customers claims identities there), then
    the gateway in front of them."""
    return [*(APP_SERVER_TYPES[name](config) for name in APP_NAMES), Gateway(config)]
