"""Where the local servers keep their files and which ports they take.

Defaults sit away from the servers' usual ports (9092, 5432, 6379) so that a system service
or another project on the same machine does not collide with ours; each is overridable by
environment for a second stack side by side (e.g. a fresh clone's CI run).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_STATE_DIR = "CRM_STATE_DIR"
ENV_KAFKA_PORT = "CRM_KAFKA_PORT"
ENV_KAFKA_CONTROLLER_PORT = "CRM_KAFKA_CONTROLLER_PORT"
ENV_POSTGRES_PORT = "CRM_POSTGRES_PORT"
ENV_REDIS_PORT = "CRM_REDIS_PORT"

DEFAULT_KAFKA_PORT = 19092
DEFAULT_KAFKA_CONTROLLER_PORT = 19093
DEFAULT_POSTGRES_PORT = 15432
DEFAULT_REDIS_PORT = 16379

# Only loopback: these servers have no authentication worth the name.
HOST = "127.0.0.1"

# One database per service: each service owns its schema, no service reads another's database.
SERVICE_DATABASES = ("ingest", "customers", "rules", "nba", "stats")


def repo_root() -> Path:
    """The checkout this package runs from: the folder holding deploy/kafka/pom.xml."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "deploy" / "kafka" / "pom.xml").is_file():
            return parent
    raise RuntimeError(
        "crm_devstack must run from a checkout of the repository (deploy/kafka/pom.xml not found)"
    )


def _port_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"{name}={port} is outside 1..65535")
    return port


@dataclass(frozen=True)
class Ports:
    kafka: int = DEFAULT_KAFKA_PORT
    kafka_controller: int = DEFAULT_KAFKA_CONTROLLER_PORT
    postgres: int = DEFAULT_POSTGRES_PORT
    redis: int = DEFAULT_REDIS_PORT

    @classmethod
    def from_env(cls) -> Ports:
        return cls(
            kafka=_port_from_env(ENV_KAFKA_PORT, DEFAULT_KAFKA_PORT),
            kafka_controller=_port_from_env(
                ENV_KAFKA_CONTROLLER_PORT, DEFAULT_KAFKA_CONTROLLER_PORT
            ),
            postgres=_port_from_env(ENV_POSTGRES_PORT, DEFAULT_POSTGRES_PORT),
            redis=_port_from_env(ENV_REDIS_PORT, DEFAULT_REDIS_PORT),
        )


@dataclass(frozen=True)
class Endpoints:
    """The addresses clients use, in the forms the services' settings take."""

    kafka_bootstrap: str
    postgres_url: str
    redis_url: str

    def as_env(self) -> dict[str, str]:
        """The same addresses under the environment names the services and tests read."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "DATABASE_URL": self.postgres_url,
            "REDIS_URL": self.redis_url,
        }


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    ports: Ports

    @classmethod
    def from_env(cls, state_dir: Path | str | None = None) -> StackConfig:
        """Explicit state_dir first, then $CRM_STATE_DIR, then <repo>/.local."""
        chosen = state_dir or os.environ.get(ENV_STATE_DIR) or repo_root() / ".local"
        return cls(state_dir=Path(chosen).expanduser().resolve(), ports=Ports.from_env())

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(
            kafka_bootstrap=f"{HOST}:{self.ports.kafka}",
            postgres_url=f"postgresql://postgres@{HOST}:{self.ports.postgres}/postgres",
            redis_url=f"redis://{HOST}:{self.ports.redis}/0",
        )

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def run_dir(self) -> Path:
        """Pid files of the servers this state dir started."""
        return self.state_dir / "run"
