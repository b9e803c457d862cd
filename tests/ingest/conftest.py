"""A started ingest service per test: its own database and topic, shared Kafka and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from crm_ingest.main import build_app
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import Account, load_accounts, write_accounts_file
from crm_servicekit.clock import FixedClock

from .connector_support import CONNECTORS
from .support import (
    ACME_KEY,
    ACME_OLD_KEY,
    BETA_KEY,
    SERVICE_TOKEN,
    T0,
    Ingest,
    new_id,
    whsec,
)


def ingest_settings(
    database: str, bootstrap: str, redis_url: str, topic: str, accounts_file: Path, **extra: object
) -> IngestSettings:
    return IngestSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        redis_url=redis_url,
        events_topic=topic,
        accounts_file=accounts_file,
        environment="test",
        service_token=SERVICE_TOKEN,
        **extra,  # type: ignore[arg-type]
    )


def accounts_file(tmp_path: Path) -> Path:
    return write_accounts_file(
        tmp_path / "accounts.yaml",
        [
            Account(
                account_id="acme",
                webhook_secrets=(whsec(ACME_KEY), whsec(ACME_OLD_KEY)),
                connectors=CONNECTORS["acme"],
            ),
            Account(
                account_id="beta",
                webhook_secrets=(whsec(BETA_KEY),),
                default_region="SE",
                connectors=CONNECTORS["beta"],
            ),
            Account(account_id="devbox", allow_unsigned_webhooks=True),
            Account(account_id="solo", connectors=CONNECTORS["solo"]),
        ],
    )


@pytest.fixture
def start_ingest(
    new_database: str,
    kafka_bootstrap: str,
    redis_url: str,
    new_topic: Callable[..., str],
    tmp_path: Path,
) -> Callable[..., object]:
    """start_ingest(**settings) -> async context manager giving an Ingest."""
    import contextlib

    @contextlib.asynccontextmanager
    async def start(**extra: object) -> AsyncIterator[Ingest]:
        extra.setdefault("rate_limit_per_s", 100_000.0)
        extra.setdefault("rate_limit_burst", 100_000)
        # A key space of its own, so tests never share a rate-limit bucket.
        extra.setdefault("redis_key_prefix", new_id("ingest-test"))
        settings = ingest_settings(
            extra.pop("database", new_database),  # type: ignore[arg-type]
            extra.pop("bootstrap", kafka_bootstrap),  # type: ignore[arg-type]
            extra.pop("redis_url", redis_url),  # type: ignore[arg-type]
            extra.pop("topic", None) or new_topic(partitions=3),  # type: ignore[arg-type]
            accounts_file(tmp_path),
            **extra,
        )
        clock = FixedClock(T0)
        app = build_app(settings, clock=clock, accounts=load_accounts(settings.accounts_file))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://ingest") as client,
        ):
            yield Ingest(client, settings, clock, settings.kafka_bootstrap_servers)

    return start


@pytest.fixture
async def ingest(start_ingest: Callable[..., object]) -> AsyncIterator[Ingest]:
    async with start_ingest() as running:  # type: ignore[attr-defined]
        yield running
