"""The customers service's settings: env prefix CUSTOMERS_, port 8002, ingest's address,
the pace of the seeding loop."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_servicekit.settings import ServiceSettings


class CustomersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTOMERS_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "customers"

    http_port: int = Field(default=8002, ge=1, le=65535)
    # Ingest's internal claim endpoint: ingest is the single writer of identities.
    ingest_url: str = "http://127.0.0.1:8001"
    claim_timeout_s: float = Field(default=5.0, gt=0)
    # How often the accounts are checked for one not seeded yet: an account added to the
    # accounts file is to have its settings within 10 seconds (docs/domain.md, Accounts).
    seed_every_s: float = Field(default=2.0, gt=0, le=8)
