"""Wiring the customers service: its aggregates' routes, the consumer, the outbox relay, the
seeding loop, and the outlets the use cases reach (ingest's identity claims, the events topic)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from crm_customers import consumer, seeding
from crm_customers.automation import api as automation_api
from crm_customers.customers.api import routes as customers_api
from crm_customers.customers.claims import IngestClaims
from crm_customers.customers.service.person import Outlets
from crm_customers.interactions import api as interactions_api
from crm_customers.settings import CustomersSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.http import serve
from crm_servicekit.runtime import ServiceSpec, build_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(
    settings: CustomersSettings,
    clock: Clock = SYSTEM_CLOCK,
    accounts: Accounts | None = None,
    *,
    claims: IngestClaims | None = None,
) -> FastAPI:
    """The service's app; tests pass `claims` reaching a stand-in for ingest's claim endpoint."""
    outlets = Outlets(
        claims=claims
        or IngestClaims(
            settings.ingest_url,
            settings.service_token.get_secret_value() if settings.service_token else None,
            timeout_s=settings.claim_timeout_s,
        ),
        topic=settings.events_topic,
    )
    spec = ServiceSpec(
        settings=settings,
        title="Frazer CRM customers",
        routers=[customers_api.router, interactions_api.router, automation_api.router],
        migrations_dir=MIGRATIONS,
        handler=consumer.handler,
        wanted=consumer.CONSUMED,
        relay_outbox=True,
        background=[seeding.seed_accounts(settings)],
        wire=lambda _: outlets,
    )
    return build_service_app(spec, clock=clock, accounts=accounts)


def run() -> None:
    settings = CustomersSettings()
    serve(build_app(settings), settings)
