"""The NBA service under test: real Kafka and PostgreSQL, a fixed clock, fresh topic and DB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from crm_nba.main import build_app
from crm_nba.settings import NbaSettings
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts, load_accounts, write_accounts_file
from crm_servicekit.auth import mint_token
from crm_servicekit.clock import FixedClock

from .history import D, T
from .kafka_io import eventually, produce, read_all

ACCOUNTS = [Account(account_id="acme"), Account(account_id="globex", time_zone="UTC")]


@dataclass
class RunningNba:
    client: httpx.AsyncClient
    clock: FixedClock
    topic: str
    bootstrap: str
    database: str
    settings: NbaSettings

    def token(self, account: str = "acme") -> dict[str, str]:
        issued = FixedClock(T - D)
        bearer = mint_token(self.settings.jwt_secret, account, "user-1", 400 * D, clock=issued)
        return {"Authorization": f"Bearer {bearer}"}

    async def send(self, events: list[EventEnvelope]) -> None:
        await produce(self.bootstrap, events, self.topic)

    async def get(self, path: str, account: str = "acme", **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.token(account))

    async def nba_of(self, customer: object, as_of: datetime | None = None) -> dict[str, Any]:
        params = {"as_of": as_of.isoformat()} if as_of else {}
        response = await self.get(f"/api/nba/customer/{customer}", **params)
        return response.json() if response.status_code == 200 else {}

    async def until_nba(
        self,
        customer: object,
        done: Callable[[dict[str, Any]], bool],
        as_of: datetime | None = None,
    ) -> dict[str, Any]:
        return await eventually(lambda: self.nba_of(customer, as_of), done, within_s=60)

    async def emitted(self, name: str) -> list[EventEnvelope]:
        found = await read_all(self.bootstrap, self.topic)
        return [e for e in found if e.event_name == name]

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()


@pytest.fixture
async def nba(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], tmp_path: Path
) -> AsyncIterator[RunningNba]:
    topic = new_topic(partitions=3)
    settings = NbaSettings(
        database_url=new_database,
        kafka_bootstrap_servers=kafka_bootstrap,
        accounts_file=write_accounts_file(tmp_path / "accounts.yaml", ACCOUNTS),
        environment="test",
        events_topic=topic,
        timer_interval_s=0.05,
    )
    clock = FixedClock(T)
    accounts: Accounts = load_accounts(settings.accounts_file)
    app = build_app(settings, clock=clock, accounts=accounts)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://nba") as client,
    ):
        yield RunningNba(client, clock, topic, kafka_bootstrap, new_database, settings)


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
