"""NBA settings: environment prefix NBA_, port 8004, database "nba"."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_servicekit.settings import ServiceSettings


class NbaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NBA_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "nba"

    http_port: int = Field(default=8004, ge=1, le=65535)
    timer_interval_s: float = Field(
        default=1.0, gt=0, description="How often the timer looks for recommendations that changed"
    )
