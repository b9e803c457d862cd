"""A whole service process on the runtime: migrations, consumer, outbox relay, readiness."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, write_accounts_file
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue
from crm_servicekit.runtime import Resources, ServiceSpec, build_service_app, wired
from crm_servicekit.settings import ServiceSettings

from .kafka_support import eventually, message_sent, produce, read_all, records_for

pytestmark = pytest.mark.integration


class EchoSettings(ServiceSettings):
    service_name = "echo"


async def test_service_consumes_writes_its_outbox_and_reports_ready(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    inbox, outbox_topic = new_topic(partitions=3), new_topic(partitions=3)
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_seen.sql").write_text("CREATE TABLE seen (event_id text PRIMARY KEY);\n")

    def echo(res: Resources) -> BatchHandler:
        async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
            await conn.executemany("INSERT INTO seen VALUES ($1)", [(e.event_id,) for e in events])
            replies = [e.model_copy(update={"event_id": f"echo-{e.event_id}"}) for e in events]
            await enqueue(conn, replies, outbox_topic)

        return handle

    settings = EchoSettings(
        database_url=new_database,
        kafka_bootstrap_servers=kafka_bootstrap,
        accounts_file=write_accounts_file(tmp_path / "accounts.yaml", [Account(account_id="acme")]),
        environment="test",
    )
    spec = ServiceSpec(
        settings=settings,
        title="echo",
        migrations_dir=migrations,
        handler=echo,
        wanted=frozenset({"MESSAGE_SENT"}),
        topic=inbox,
        relay_outbox=True,
    )
    app = build_service_app(spec)
    events = [message_sent(uuid.uuid4(), n) for n in range(30)]
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://echo") as client,
    ):
        ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"]) == {"postgres", "kafka", "accounts"}
        await produce(kafka_bootstrap, records_for(events, inbox))
        found = await eventually(
            lambda: read_all(kafka_bootstrap, outbox_topic), lambda f: len(f) >= len(events)
        )
        assert (await client.get("/health/live")).status_code == 200
        assert b"crm_events_consumed" in (await client.get("/metrics")).content
    echoed = sorted(EventEnvelope.from_json(value).event_id for _, value, _ in found)
    assert echoed == sorted(f"echo-{e.event_id}" for e in events)


class Greeter:
    """A collaborator that needs the started pool, as a route's use case would."""

    def __init__(self, res: Resources) -> None:
        self.pool = res.pool

    async def greet(self) -> str:
        async with self.pool.acquire() as conn:
            return f"hello from {await conn.fetchval('SELECT current_database()')}"


async def test_what_wire_builds_at_start_reaches_routes_as_a_typed_dependency(
    kafka_bootstrap: str, new_database: str, tmp_path: Path
) -> None:
    built: list[Greeter] = []

    def wire(res: Resources) -> Greeter:
        built.append(Greeter(res))
        return built[-1]

    router = APIRouter()

    @router.get("/greeting")
    async def greeting(greeter: Annotated[Greeter, Depends(wired(Greeter))]) -> dict[str, str]:
        return {"text": await greeter.greet()}

    @router.get("/misnamed")
    async def misnamed(_: Annotated[str, Depends(wired(str))]) -> dict[str, str]:
        return {}

    settings = EchoSettings(
        database_url=new_database,
        kafka_bootstrap_servers=kafka_bootstrap,
        accounts_file=write_accounts_file(tmp_path / "accounts.yaml", [Account(account_id="acme")]),
        environment="test",
    )
    app = build_service_app(
        ServiceSpec(settings=settings, title="wired", routers=[router], wire=wire)
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    assert not built, "nothing is built before the service starts"
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://wired") as client,
    ):
        assert len(built) == 1
        first = await client.get("/greeting")
        second = await client.get("/greeting")
        assert (
            first.json()
            == second.json()
            == {"text": f"hello from {new_database.rsplit('/', 1)[1]}"}
        )
        assert len(built) == 1, "built once at start, not per request"
        assert (await client.get("/misnamed")).status_code == 500
