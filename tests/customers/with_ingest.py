"""The real ingest in this process, for the tests of the customers-ingest claim path."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from crm_customers.customers.claims import IngestClaims
from crm_customers.settings import CustomersSettings
from crm_devstack.databases import create_database, drop_database
from crm_ingest.main import build_app as build_ingest
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import load_accounts
from crm_servicekit.clock import FixedClock

from .conftest import Service, running
from .events import T
from .kafka_io import eventually

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


@dataclass
class Both:
    customers: Service
    ingest: httpx.AsyncClient
    database: str

    async def event(self, contact: dict[str, Any]) -> str:
        """An event from outside carrying `contact`; the customer ingest resolved it to."""
        body = {
            "event_name": "DM_STARTED",
            "event_id": f"evt-{uuid.uuid4().hex[:12]}",
            "timestamp": self.customers.clock.now().isoformat(),
            "contact": contact,
            "source": "ig",
        }
        answer = await self.ingest.post("/api/events", json=body, headers=self.customers.auth())
        assert answer.status_code == 202, answer.text
        customer: str = answer.json()["customer_id"]
        return customer

    async def create(self, **fields: Any) -> str:
        created = await self.customers.call("POST", "/api/customers", json=fields)
        assert created.status_code == 201, created.text
        customer: str = created.json()["id"]
        return customer

    async def card(self, customer: str, check: Callable[[dict[str, Any]], bool]) -> Any:
        answer = await eventually(
            lambda: self.customers.call("GET", f"/api/customers/{customer}"),
            lambda got: got.status_code == 200 and check(got.json()),
        )
        return answer.json()


@asynccontextmanager
async def started(
    settings: CustomersSettings, postgres_url: str, redis_url: str
) -> AsyncIterator[Both]:
    """Ingest and the customers service sharing a topic and a clock; customers claims at this
    ingest (the app in this process)."""
    clock = FixedClock(T)
    topic, accounts_file = settings.events_topic, settings.accounts_file
    async with ingest_app(
        postgres_url, settings.kafka_bootstrap_servers, redis_url, topic, accounts_file, clock
    ) as ingest:
        claims = IngestClaims("http://ingest", SERVICE_TOKEN, transport=ingest._transport)
        try:
            async with running(settings, claims=claims, clock=clock) as customers:
                yield Both(customers, ingest, str(settings.database_url))
        finally:
            await claims.close()
