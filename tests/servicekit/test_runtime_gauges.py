"""The gauges the runtime refreshes on its timer, read from a running service's /metrics:
consumer lag from the broker's view (rising while the consumer is stuck), the outbox backlog
(rising while Kafka is down, falling once it is back) and the database pool."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from private_kafka import private_kafka
from prometheus_client.parser import text_string_to_metric_families

from crm_schemas.envelope import EventEnvelope
from crm_schemas.topics import EVENTS_TOPIC
from crm_servicekit.accounts import Account, write_accounts_file
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue
from crm_servicekit.runtime import Resources, ServiceSpec, build_service_app
from crm_servicekit.settings import ServiceSettings

from .kafka_support import eventually, message_sent, produce, read_all, records_for

pytestmark = pytest.mark.integration

REFRESH_S = 0.2


class StuckSettings(ServiceSettings):
    service_name = "stuck"


class RelayingSettings(ServiceSettings):
    service_name = "relaying"


def no_migrations_of_its_own(tmp: Path) -> Path:
    """A service's migrations folder with none of its own: servicekit's tables alone."""
    folder = tmp / "migrations"
    folder.mkdir(exist_ok=True)
    return folder


def settings_for(kind: type[ServiceSettings], tmp: Path, **values: object) -> ServiceSettings:
    accounts = write_accounts_file(tmp / "accounts.yaml", [Account(account_id="acme")])
    return kind(
        accounts_file=accounts,
        environment="test",
        metrics_refresh_interval_s=REFRESH_S,
        **values,  # type: ignore[arg-type]
    )


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://service") as client,
    ):
        yield client


async def samples(client: httpx.AsyncClient, name: str, **labels: str) -> list[float]:
    """The values of the samples called `name` on /metrics whose labels include `labels`."""
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    return [
        sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    ]


async def sample(client: httpx.AsyncClient, name: str, **labels: str) -> float | None:
    found = await samples(client, name, **labels)
    assert len(found) <= 1, f"{name} {labels}: {found}"
    return found[0] if found else None


async def lag_becomes(client: httpx.AsyncClient, topic: str, expected: int) -> list[float]:
    """crm_consumer_lag over the topic's partitions, polled until it sums to `expected`."""
    return await eventually(
        lambda: samples(client, "crm_consumer_lag", service="stuck", topic=topic),
        lambda lags: sum(lags) == expected,
        within_s=60,
    )


def events(customer: uuid.UUID, numbers: range) -> list[EventEnvelope]:
    return [message_sent(customer, n) for n in numbers]


async def test_a_stuck_consumer_shows_its_lag_rising_then_worked_off(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic = new_topic(partitions=3)
    taken, release = asyncio.Event(), asyncio.Event()

    def blocking(res: Resources) -> BatchHandler:
        async def handle(conn: Conn, batch: Sequence[EventEnvelope]) -> None:
            taken.set()
            await release.wait()  # stuck, holding its transaction, until the test lets go

        return handle

    settings = settings_for(
        StuckSettings, tmp_path, database_url=new_database, kafka_bootstrap_servers=kafka_bootstrap
    )
    spec = ServiceSpec(
        settings=settings,
        title="stuck",
        migrations_dir=no_migrations_of_its_own(tmp_path),
        handler=blocking,
        wanted=frozenset({"MESSAGE_SENT"}),
        topic=topic,
        # Its own group: another run of this test beside it must not share its partitions.
        group_id=f"stuck-{uuid.uuid4().hex[:12]}",
    )
    customers = [uuid.uuid4() for _ in range(3)]
    async with running(build_service_app(spec)) as client:
        try:
            await produce(kafka_bootstrap, records_for([*events(customers[0], range(5))], topic))
            await asyncio.wait_for(taken.wait(), timeout=60)
            lags = await lag_becomes(client, topic, 5)
            assert len(lags) == 3, "every partition of the topic has its gauge"
            later = [*events(customers[1], range(5, 9)), *events(customers[2], range(9, 12))]
            await produce(kafka_bootstrap, records_for(later, topic))
            await lag_becomes(client, topic, 12)

            # The stuck handler holds a connection of the pool.
            in_use = await sample(client, "crm_db_pool_in_use", service="stuck")
            size = await sample(client, "crm_db_pool_size", service="stuck")
            idle = await sample(client, "crm_db_pool_idle", service="stuck")
            assert in_use is not None
            assert in_use >= 1
            assert size is not None
            assert idle is not None
            assert size == in_use + idle
            assert await sample(client, "crm_db_pool_max_size", service="stuck") == (
                settings.db_pool_max_size
            )
            # It relays no outbox, so it has no outbox gauges.
            assert await samples(client, "crm_outbox_unsent", service="stuck") == []
        finally:
            release.set()
        await lag_becomes(client, topic, 0)


async def test_the_outbox_backlog_rises_while_kafka_is_down_and_falls_after(
    new_database: str, tmp_path: Path
) -> None:
    async with private_kafka(tmp_path / "kafka") as kafka:
        settings = settings_for(
            RelayingSettings,
            tmp_path,
            database_url=new_database,
            kafka_bootstrap_servers=kafka.bootstrap,
        )
        spec = ServiceSpec(
            settings=settings,
            title="relaying",
            migrations_dir=no_migrations_of_its_own(tmp_path),
            relay_outbox=True,
        )
        waiting = events(uuid.uuid4(), range(6))
        async with running(build_service_app(spec)) as client:
            await eventually(
                lambda: sample(client, "crm_outbox_unsent", service="relaying"),
                lambda unsent: unsent == 0,
            )
            await kafka.stop()
            connection = await asyncpg.connect(new_database)
            try:
                async with connection.transaction():
                    await enqueue(connection, waiting, EVENTS_TOPIC)
            finally:
                await connection.close()
            await eventually(
                lambda: sample(client, "crm_outbox_unsent", service="relaying"),
                lambda unsent: unsent == len(waiting),
                within_s=60,
            )
            age = await sample(client, "crm_outbox_oldest_unsent_age_seconds", service="relaying")
            assert age is not None
            assert age >= 0
            await kafka.start()
            await eventually(
                lambda: sample(client, "crm_outbox_unsent", service="relaying"),
                lambda unsent: unsent == 0,
                within_s=120,
            )
            assert (
                await sample(client, "crm_outbox_oldest_unsent_age_seconds", service="relaying")
                == 0
            )
        sent = [
            EventEnvelope.from_json(value)
            for _, value, _ in await read_all(kafka.bootstrap, EVENTS_TOPIC)
        ]
        assert sorted(e.event_id for e in sent) == sorted(e.event_id for e in waiting)
