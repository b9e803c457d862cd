"""A rules service under test: real PostgreSQL and Kafka, a fresh database and topic."""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from rebuild_support import own_database, rebuild_group

from crm_devstack.topics import TopicSpec, create_topics, delete_topics
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
    **settings: Any,
) -> AsyncIterator[RulesUnderTest]:
    """`consumer_group`: a group of its own starts at the topic's beginning (a rebuild);
    `settings`: any other of the service's settings."""
    settings.setdefault("scheduler_interval_s", 0.2)
    rules_settings = RulesSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        accounts_file=write_accounts_file(tmp / "accounts.yaml", ACCOUNTS),
        environment="test",
        events_topic=topic,
        consumer_group=consumer_group,
        **settings,
    )
    clock = FixedClock(now)
    app = build_app(rules_settings, clock, Accounts(ACCOUNTS), scheduler=scheduler)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://rules") as client,
    ):
        yield RulesUnderTest(client, bootstrap, topic, clock, rules_settings)


@dataclass(frozen=True)
class RebuildStage:
    """A topic of its own and two stores: a live rules service fills the first from the topic,
    then a rebuilt one the second, reading the topic from its beginning."""

    live_db: str
    rebuilt_db: str
    # running_rules on the stage's topic, given the database and the clock's time.
    on_topic: Callable[..., contextlib.AbstractAsyncContextManager[RulesUnderTest]]

    def live(self, now: datetime) -> contextlib.AbstractAsyncContextManager[RulesUnderTest]:
        return self.on_topic(database=self.live_db, now=now)

    def rebuilt(self, now: datetime) -> contextlib.AbstractAsyncContextManager[RulesUnderTest]:
        group = rebuild_group("rules")
        return self.on_topic(database=self.rebuilt_db, now=now, consumer_group=group)


@contextlib.asynccontextmanager
async def rebuild_stage(
    postgres_url: str, bootstrap: str, tmp: Path
) -> AsyncIterator[RebuildStage]:
    """The stage, its topic deleted and its databases dropped afterwards."""
    topic = f"rules-rebuild-{uuid.uuid4().hex[:12]}"
    await create_topics(bootstrap, [TopicSpec(topic, 3, {})])
    try:
        async with (
            own_database(postgres_url, "rules") as live_db,
            own_database(postgres_url, "rules") as rebuilt_db,
        ):
            on_topic = functools.partial(running_rules, bootstrap=bootstrap, topic=topic, tmp=tmp)
            yield RebuildStage(live_db, rebuilt_db, on_topic)
    finally:
        await delete_topics(bootstrap, [topic])
