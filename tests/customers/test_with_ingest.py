"""With the real ingest: identities claimed on creation are what ingest resolves events by."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crm_customers.customers.claims import IngestClaims
from crm_servicekit.clock import FixedClock

from .conftest import customers_settings, running
from .events import T
from .kafka_io import eventually
from .with_ingest import SERVICE_TOKEN, ingest_app


async def test_a_customer_created_through_the_api_is_found_by_ingest(
    kafka_bootstrap: str,
    postgres_url: str,
    redis_url: str,
    new_database: str,
    new_topic: Callable[..., str],
    accounts_file: Path,
) -> None:
    topic = new_topic(partitions=3)
    clock = FixedClock(T)
    async with ingest_app(
        postgres_url, kafka_bootstrap, redis_url, topic, accounts_file, clock
    ) as ingest:
        claims = IngestClaims(
            "http://ingest",
            SERVICE_TOKEN,
            transport=ingest._transport,  # the app in this process
        )
        settings = customers_settings(new_database, kafka_bootstrap, topic, accounts_file)
        async with running(settings, claims=claims, clock=clock) as customers:
            created = await customers.call(
                "POST", "/api/customers", json={"name": "Kari", "email": " Kari@Example.NO"}
            )
            assert created.status_code == 201, created.text
            kari = created.json()["id"]
            dm = {
                "event_name": "DM_STARTED",
                "event_id": "dm-1",
                "timestamp": customers.clock.now().isoformat(),
                "contact": {"email": "kari@example.no"},
                "source": "ig",
            }
            accepted = await ingest.post("/api/events", json=dm, headers=customers.auth())
            assert accepted.status_code == 202, accepted.text
            assert accepted.json()["customer_id"] == kari
            # The same person typed in again is refused, naming Kari.
            twice = await customers.call(
                "POST", "/api/customers", json={"name": "K", "email": "kari@example.no"}
            )
            assert twice.status_code == 409
            assert twice.json()["holder_customer_id"] == kari
            # And the DM reaches Kari's card through the topic.
            card = await eventually(
                lambda: customers.call("GET", f"/api/customers/{kari}"),
                lambda answer: answer.json()["status"] == "relationship",
            )
            assert card.json()["name"] == "Kari"
        await claims.close()
