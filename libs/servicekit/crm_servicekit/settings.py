"""Settings every service shares; each service subclasses with its own env prefix.

A value is looked up, first match wins, in: constructor arguments, the service's own
prefix (``RULES_JWT_SECRET``), the shared ``CRM_`` prefix (``CRM_JWT_SECRET``, so one
secret serves all services), then the unprefixed infrastructure names
(``DATABASE_URL`` with the service's own database name, ``KAFKA_BOOTSTRAP_SERVERS``,
``REDIS_URL``), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, PostgresDsn, RedisDsn, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from crm_schemas.topics import EVENTS_TOPIC
from crm_servicekit.cors import CorsOrigins

Environment = Literal["development", "test", "production"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# Long enough that PyJWT does not warn, and named so that nobody mistakes it for a real one.
DEVELOPMENT_JWT_SECRET = "development-only-jwt-secret-not-for-production"
MIN_SECRET_LENGTH = 32
_PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "placeholder", "not-for-production")
_PLACEHOLDER_SECRETS = {"secret", "password", "jwt-secret", "default", "example", "test", "dev"}
_SHARED_ENV_PREFIX = "CRM_"


class ServiceSettings(BaseSettings):
    """Base settings; a service sets ``service_name`` and ``model_config['env_prefix']``."""

    model_config = SettingsConfigDict(env_prefix=_SHARED_ENV_PREFIX, extra="ignore", frozen=True)

    # Names the service in metrics and logs, and is the database name taken from DATABASE_URL.
    service_name: ClassVar[str] = "crm"

    environment: Environment = "development"
    database_url: PostgresDsn
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # The topic every service consumes and writes to (tests point it at a fresh one).
    events_topic: str = EVENTS_TOPIC
    redis_url: RedisDsn = RedisDsn("redis://127.0.0.1:6379/0")
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    # How far a token's nbf and iat may be ahead of this service's clock (the minting host's
    # clock may run a little ahead); beyond it the token is refused.
    jwt_leeway_s: float = Field(default=60.0, ge=0, le=3600)
    service_token: SecretStr | None = Field(
        default=None, description="Bearer token of service-to-service calls (internal endpoints)."
    )
    # Signs list cursors, so a cursor one replica issued is taken by every other. Unset, the
    # key is derived from jwt_secret, which every replica already shares.
    cursor_secret: SecretStr | None = None
    accounts_file: Path = Path("accounts.yaml")
    # How often the accounts file is looked at for changes (a stat; the content is read only
    # once the stat differs): a change is served within this and the time to parse it.
    accounts_reload_interval_s: float = Field(default=2.0, gt=0, le=60)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    # Replicas on one host share the port (SO_REUSEPORT): each binds it, and the kernel spreads
    # new connections over those listening. Off by default, so a second copy started by
    # mistake fails to bind instead of silently taking half the traffic.
    http_reuse_port: bool = False
    log_level: LogLevel = "INFO"
    max_request_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    readiness_timeout_s: float = Field(default=2.0, gt=0)
    db_pool_min_size: int = Field(default=1, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    # The consumer group; the service's name when unset. A benchmark or a second copy of the
    # service beside a running system takes its own, so the system's group never rebalances.
    consumer_group: str | None = Field(default=None, min_length=1)
    # How often the gauges of consumer lag, outbox backlog, pool use (and a service's own)
    # are refreshed, whether or not anything is consumed.
    metrics_refresh_interval_s: float = Field(default=5.0, gt=0, le=300)
    # Browser origins allowed to call the API (comma-separated in the environment); none by
    # default, so no other origin's page can read an answer.
    cors_origins: CorsOrigins = ()

    @model_validator(mode="before")
    @classmethod
    def _default_database_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("database_url"):
            data["database_url"] = f"postgresql://postgres@127.0.0.1:5432/{cls.service_name}"
        return data

    @model_validator(mode="after")
    def _refuse_weak_secrets_outside_development(self) -> ServiceSettings:
        if self.environment in ("development", "test"):
            return self
        secrets = {
            "jwt_secret": self.jwt_secret,
            "service_token": self.service_token,
            "cursor_secret": self.cursor_secret,
        }
        for name, secret in secrets.items():
            if secret is not None and (problem := weak_secret_problem(secret.get_secret_value())):
                raise ValueError(
                    f"{name} {problem}; set a random value of at least {MIN_SECRET_LENGTH} "
                    f"characters (environment is {self.environment!r})"
                )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            EnvSettingsSource(settings_cls, env_prefix=_SHARED_ENV_PREFIX),
            _InfrastructureEnv(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )


def weak_secret_problem(secret: str) -> str | None:
    """Why a secret must not guard production, or None when it may."""
    lowered = secret.strip().lower()
    if secret == DEVELOPMENT_JWT_SECRET or lowered in _PLACEHOLDER_SECRETS:
        return "is a default or placeholder value"
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "looks like a placeholder"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(secret)) < 8:
        return "has too few distinct characters"
    return None


def with_database_name(dsn: str, database: str) -> str:
    """The same server and credentials, another database (DATABASE_URL → the service's own)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


class _InfrastructureEnv(PydanticBaseSettingsSource):
    """The unprefixed server addresses, shared by every service of one deployment."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Unused: __call__ below produces all values at once.
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        service_name = getattr(self.settings_cls, "service_name", "crm")
        if database_url := os.environ.get("DATABASE_URL"):
            values["database_url"] = with_database_name(database_url, service_name)
        if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            values["kafka_bootstrap_servers"] = bootstrap
        if redis_url := os.environ.get("REDIS_URL"):
            values["redis_url"] = redis_url
        return values
