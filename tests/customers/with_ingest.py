"""The real ingest in this process, for the tests of the customers-ingest claim path."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from crm_devstack.databases import create_database, drop_database
from crm_ingest.main import build_app as build_ingest
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import load_accounts
from crm_servicekit.clock import FixedClock

SERVICE_TOKEN = "service-token-for-the-customers-tests"


@asynccontextmanager
async def ingest_app(
    postgres_url: str,
    bootstrap: str,
    redis_url: str,
    topic: str,
    accounts_file: Path,
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    """Ingest in this process, reached through its ASGI transport."""
    name = f"ingest_{uuid.uuid4().hex[:12]}"
    database = await create_database(postgres_url, name)
    settings = IngestSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        redis_url=redis_url,
        events_topic=topic,
        accounts_file=accounts_file,
        environment="test",
        service_token=SERVICE_TOKEN,
    )
    app = build_ingest(settings, clock, load_accounts(accounts_file))
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://ingest"
            ) as client,
        ):
            yield client
    finally:
        await drop_database(postgres_url, name)
