"""Wiring the customers service: API, consumer, outbox relay and the idempotency-key purge."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from fastapi import FastAPI

from crm_customers import api, interactions_api
from crm_customers.claims import IdentityClaims, IngestClaims
from crm_customers.intake import WANTED, batch_handler
from crm_customers.settings import CustomersSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.http import serve
from crm_servicekit.idempotency import purge_expired_idempotency_keys
from crm_servicekit.runtime import Resources, ServiceSpec, build_service_app

MIGRATIONS = Path(__file__).parent / "migrations"
_PURGE_EVERY_S = 3600.0


def build_app(
    settings: CustomersSettings,
    clock: Clock = SYSTEM_CLOCK,
    accounts: Accounts | None = None,
    *,
    claims: IdentityClaims | None = None,
) -> FastAPI:
    """The service's app; tests pass `claims` to stand in for ingest's claim endpoint."""
    spec = ServiceSpec(
        settings=settings,
        title="Frazer CRM customers",
        routers=[api.router, interactions_api.router],
        migrations_dir=MIGRATIONS,
        handler=lambda res: batch_handler(res.clock, settings.events_topic),
        wanted=WANTED,
        topic=settings.events_topic,
        relay_outbox=True,
        background=[purge_idempotency_keys],
    )
    app = build_service_app(spec, clock=clock, accounts=accounts)
    app.state.identity_claims = claims or IngestClaims(
        settings.ingest_url,
        settings.service_token.get_secret_value() if settings.service_token else None,
        timeout_s=settings.claim_timeout_s,
    )
    return app


async def purge_idempotency_keys(res: Resources) -> None:
    """Idempotency-Key answers are kept 24 hours (API.md); older ones are dropped hourly."""
    while not res.stop.is_set():
        async with res.pool.acquire() as conn:
            await purge_expired_idempotency_keys(conn, now=res.clock.now())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(res.stop.wait(), timeout=_PURGE_EVERY_S)


def app_factory() -> FastAPI:
    return build_app(CustomersSettings())


def run() -> None:
    settings = CustomersSettings()
    serve(build_app(settings), settings)
