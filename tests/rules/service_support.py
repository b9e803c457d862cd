"""A rules service under test: real PostgreSQL and Kafka, a fresh database and topic."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx

from crm_rules.main import build_app
from crm_rules.settings import RulesSettings
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts, QuietHours, write_accounts_file
from crm_servicekit.auth import mint_token
from crm_servicekit.clock import FixedClock

from .kafka_io import eventually, produce, read_all

ACCOUNTS = [
    Account(account_id="acme"),
    Account(account_id="other"),
    Account(account_id="quiet", quiet_hours=QuietHours(start=time(22, 0), end=time(7, 0))),
]


@dataclass
class RulesUnderTest:
    client: httpx.AsyncClient
    bootstrap: str
    topic: str
    clock: FixedClock
    settings: RulesSettings

    def headers(self, account: str = "acme", **extra: str) -> dict[str, str]:
        token = mint_token(
            self.settings.jwt_secret, account, "marketer-1", timedelta(days=3650), clock=self.clock
        )
        return {"Authorization": f"Bearer {token}", **extra}

    async def send(self, events: Sequence[EventEnvelope]) -> None:
        await produce(self.bootstrap, list(events), self.topic)

    async def reminders(self, customer: object, account: str = "acme") -> list[dict[str, Any]]:
        answer = await self.client.get(
            "/api/reminders",
            params={"customer_id": str(customer), "limit": 500},
            headers=self.headers(account),
        )
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    async def settled(
        self, customer: object, done: Any, account: str = "acme"
    ) -> list[dict[str, Any]]:
        """Poll the API until `done(reminders)` holds (generous timeout, no fixed sleep)."""
        return await eventually(lambda: self.reminders(customer, account), done, within_s=90)

    async def announced(self, customer: object) -> list[EventEnvelope]:
        """The REMINDER_* events on the topic for one customer."""
        return [
            e
            for e in await read_all(self.bootstrap, self.topic)
            if e.customer_id is not None
            and str(e.customer_id) == str(customer)
            and e.event_name.value.startswith("REMINDER_")
        ]


@contextlib.asynccontextmanager
async def running_rules(
    *,
    database: str,
    bootstrap: str,
    topic: str,
    tmp: Path,
    now: datetime,
    scheduler: bool = True,
    consumer_group: str | None = None,
) -> AsyncIterator[RulesUnderTest]:
    """`consumer_group`: a group of its own starts at the topic's beginning (a rebuild)."""
    settings = RulesSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        accounts_file=write_accounts_file(tmp / "accounts.yaml", ACCOUNTS),
        environment="test",
        events_topic=topic,
        scheduler_interval_s=0.2,
        consumer_group=consumer_group,
    )
    clock = FixedClock(now)
    app = build_app(settings, clock, Accounts(ACCOUNTS), scheduler=scheduler)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://rules") as client,
    ):
        yield RulesUnderTest(client, bootstrap, topic, clock, settings)
