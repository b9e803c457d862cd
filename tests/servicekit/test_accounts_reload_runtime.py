"""A running service follows its accounts file: its routes take a new account's token once
the file lists it, a broken file leaves the last good accounts served and readiness reporting
it (degraded, still ready), a fixed file clears it; shutdown stops the watching loop."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import write_accounts_file
from crm_servicekit.auth import CurrentAccount, mint_token
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.db import SERVICEKIT_MIGRATIONS
from crm_servicekit.runtime import Resources, ServiceSpec, build_service_app
from crm_servicekit.settings import ServiceSettings

from .kafka_support import eventually, message_sent, produce, records_for

pytestmark = pytest.mark.integration

JWT_SECRET = "test-jwt-secret-for-the-accounts-reload-0f3a"
# Generous: the loop looks every 0.1 s here; a slow shared machine is no failure.
WITHIN_S = 30.0


class WatchingSettings(ServiceSettings):
    service_name = "watching"


router = APIRouter()
# None of its own: servicekit's tables alone (processed events, idempotency keys).
MIGRATIONS = SERVICEKIT_MIGRATIONS


@router.get("/api/whoami")
async def whoami(account: CurrentAccount) -> dict[str, str]:
    return {"account_id": account.account_id}


def bearer(account_id: str) -> dict[str, str]:
    token = mint_token(JWT_SECRET, account_id, "user-1", timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def watching(
    database: str, bootstrap: str, accounts_file: Path, *, reload_every_s: float
) -> WatchingSettings:
    return WatchingSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        accounts_file=accounts_file,
        jwt_secret=JWT_SECRET,
        accounts_reload_interval_s=reload_every_s,
        environment="test",
    )


@asynccontextmanager
async def running(settings: ServiceSettings, **spec: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The service up with its routes; `spec`: more of its ServiceSpec (a consumer)."""
    app = build_service_app(
        ServiceSpec(
            settings=settings, title="watching", routers=[router], migrations_dir=MIGRATIONS, **spec
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://watching") as client,
    ):
        yield client


async def test_a_running_service_takes_new_accounts_and_reports_a_broken_file(
    kafka_bootstrap: str, new_database: str, tmp_path: Path
) -> None:
    path = write_accounts_file(tmp_path / "accounts.json", [{"account_id": "demo"}])
    settings = watching(new_database, kafka_bootstrap, path, reload_every_s=0.1)
    async with running(settings) as client:

        async def whoami(account_id: str) -> int:
            return (await client.get("/api/whoami", headers=bearer(account_id))).status_code

        async def readiness() -> tuple[int, dict[str, Any]]:
            ready = await client.get("/health/ready")
            return ready.status_code, ready.json()

        def accounts_check(reading: tuple[int, dict[str, Any]]) -> str:
            return str(reading[1]["checks"]["accounts"]["status"])

        def accounts_error(reading: tuple[int, dict[str, Any]]) -> str:
            return str(reading[1]["checks"]["accounts"].get("error", ""))

        assert await whoami("newcomer") == 401
        status, body = await readiness()
        assert (status, body["status"]) == (200, "ready")
        assert body["checks"]["accounts"] == {"status": "ok"}

        write_accounts_file(path, [{"account_id": "demo"}, {"account_id": "newcomer"}])
        await eventually(lambda: whoami("newcomer"), lambda s: s == 200, within_s=WITHIN_S)

        # Written in place, the file may be read half written first (refused too, as empty or
        # as broken JSON): what counts is the report of the whole file.
        path.write_text('{"accounts": [{"account_id": "demo"}, {"account_id": "x y"}]}')
        status, body = await eventually(
            readiness, lambda r: "entry 1" in accounts_error(r), within_s=WITHIN_S
        )
        # Degraded, not failed: the replica stays in the load balancer with the last good file.
        assert (status, body["status"], body["checks"]["accounts"]["status"]) == (
            200,
            "degraded",
            "degraded",
        )
        assert "account_id" in body["checks"]["accounts"]["error"]
        assert (await whoami("newcomer"), await whoami("demo")) == (200, 200)

        write_accounts_file(path, [{"account_id": "demo"}])
        status, body = await eventually(
            readiness, lambda r: accounts_check(r) == "ok", within_s=WITHIN_S
        )
        assert (status, body["status"]) == (200, "ready")
        assert await whoami("newcomer") == 401
        metrics = (await client.get("/metrics")).text
        assert 'crm_accounts_reloads_total{outcome="applied",service="watching"}' in metrics
        assert 'crm_accounts_reloads_total{outcome="refused",service="watching"}' in metrics


async def test_a_consumer_meeting_an_account_it_does_not_know_looks_at_the_file_first(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    path = write_accounts_file(tmp_path / "accounts.yaml", [{"account_id": "demo"}])
    topic = new_topic(partitions=1)
    known: list[tuple[str, bool]] = []

    def recording(res: Resources) -> BatchHandler:
        async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
            known.extend((e.account_id, e.account_id in res.accounts) for e in events)

        return handle

    # Far longer than the test: only the consumer's own look can find the new account.
    settings = watching(new_database, kafka_bootstrap, path, reload_every_s=60)
    async with running(
        settings, handler=recording, wanted=frozenset({"MESSAGE_SENT"}), topic=topic
    ):
        # As ingest does once it has read the newer file: an event of the new account.
        write_accounts_file(path, [{"account_id": "demo"}, {"account_id": "late"}])
        await produce(kafka_bootstrap, records_for([message_sent(uuid.uuid4(), 0, "late")], topic))
        await eventually(lambda: _value(known), lambda found: len(found) == 1, within_s=WITHIN_S)
    assert known == [("late", True)]


async def _value(found: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    return list(found)
