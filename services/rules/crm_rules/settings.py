"""Settings of the rules service (environment prefix RULES_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_servicekit.settings import ServiceSettings


class RulesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RULES_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "rules"

    http_port: int = Field(default=8003, ge=1, le=65535)
    # How often the scheduler looks for reminders whose time has come, and how many per pass.
    scheduler_interval_s: float = Field(default=1.0, gt=0)
    scheduler_batch: int = Field(default=200, ge=1)
