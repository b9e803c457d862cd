"""Settings of the stats service (env prefix STATS_, then CRM_, then the shared names)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_servicekit.settings import ServiceSettings


class StatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STATS_", extra="ignore", frozen=True)
    service_name: ClassVar[str] = "stats"

    http_port: int = Field(default=8005, ge=1, le=65535)
    # How many ticker items each account's Redis Stream keeps (XADD MAXLEN ~).
    ticker_max_items: int = Field(default=1000, ge=10)
    # How long the ticker relay remembers an item it already appended (redelivery guard).
    ticker_guard_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    # How long a ticker read or a relay chunk waits for Redis: past it the route answers 503
    # and the relay tries again later (redis-py's own retries would wait seconds).
    ticker_redis_timeout_s: float = Field(default=2.0, gt=0)
