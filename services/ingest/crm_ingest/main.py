"""Ingest's process: settings, the service spec, and uvicorn. The one place that wires things."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from crm_ingest import api, claims
from crm_ingest import repository as repo
from crm_ingest.consumer import WANTED, deletion_handler
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.consumer import Fetching
from crm_servicekit.http import serve
from crm_servicekit.runtime import Resources, ServiceSpec, build_service_app, purge_periodically

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(
    settings: IngestSettings, clock: Clock = SYSTEM_CLOCK, accounts: Accounts | None = None
) -> FastAPI:
    spec = ServiceSpec(
        settings=settings,
        title="Frazer CRM ingest",
        routers=[api.router, claims.router],
        migrations_dir=MIGRATIONS,
        handler=deletion_handler,
        wanted=WANTED,
        topic=settings.events_topic,
        uses_redis=True,
        # Ingest reads the whole topic for CUSTOMER_DELETED alone: batches of up to a second
        # (or 1 MiB) cost it far fewer fetches, batches and offset commits than one per
        # handful of messages, and freeing a deleted customer's identities a second later
        # changes nothing for anyone.
        fetching=Fetching(max_records=5000, fetch_max_wait_ms=1000, fetch_min_bytes=1 << 20),
        background=[purge_old_records],
    )
    return build_service_app(spec, clock=clock, accounts=accounts)


async def purge_old_records(res: Resources) -> None:
    """Drop de-duplication records past the retention (kept at least 30 days, API.md)."""
    settings = res.settings
    assert isinstance(settings, IngestSettings)

    async def purge() -> int:
        cutoff = res.clock.now() - timedelta(days=settings.dedupe_retention_days)
        async with res.pool.acquire() as conn:
            return await repo.purge_records(conn, cutoff)

    await purge_periodically(res, purge, what="de-duplication records")


def app_factory() -> FastAPI:
    return build_app(IngestSettings())


def run() -> None:
    settings = IngestSettings()
    serve(build_app(settings), settings)
