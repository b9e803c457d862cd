"""Seeding each account's automation settings from the accounts file, once, while the service
runs; and the settings history rebuilt from the topic."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from rebuild_support import outbox_sent

from crm_customers.seeding import Seeder
from crm_schemas.account_settings import SEED_ACTOR
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts, load_accounts
from crm_servicekit.clock import FixedClock
from crm_servicekit.db import create_service_pool, plain_postgres_dsn

from .conftest import Service, Stores, customers_settings, running
from .events import T
from .kafka_io import eventually
from .test_api_settings import changes_on_topic, iso, put, settings_of


class GrowingAccounts(Accounts):
    """The registry changed in place, as a reload of the accounts file changes it."""

    def put(self, account: Account) -> None:
        others = [a for a in self if a.account_id != account.account_id]
        Accounts.__init__(self, [*others, account])


def registry(accounts_file: Path) -> GrowingAccounts:
    return GrowingAccounts(list(load_accounts(accounts_file)))


async def seeds(service: Service, account: str) -> list[EventEnvelope]:
    found = await changes_on_topic(service, account)
    return [event for event in found if event.properties["actor"] == SEED_ACTOR]


async def test_each_account_is_seeded_once_and_a_new_one_while_running(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], accounts_file: Path
) -> None:
    settings = customers_settings(new_database, kafka_bootstrap, new_topic(), accounts_file)
    async with running(settings, accounts=registry(accounts_file)) as first:
        other = await eventually(lambda: seeds(first, "other"), lambda found: len(found) == 1)
        await eventually(lambda: seeds(first, "acme"), lambda found: len(found) == 1)
    seed = other[0]
    # Dated back by the 30 days a change may be, so no allowed change is before it.
    assert (seed.customer_id, seed.timestamp) == (None, T - timedelta(days=30))
    assert seed.typed_properties().model_dump()["settings"]["default_region"] == "SE"

    later = T + timedelta(days=1)
    accounts = registry(accounts_file)
    async with running(settings, clock=FixedClock(later), accounts=accounts) as second:
        accounts.put(Account(account_id="late", default_region="DK"))
        late = await eventually(lambda: seeds(second, "late"), lambda found: len(found) == 1)
        # The pass that seeded "late" found the others seeded: nothing seeded them again.
        assert len(await seeds(second, "acme")) == 1
        assert len(await seeds(second, "other")) == 1
        body = await settings_of(second, "late")
    assert late[0].timestamp == later - timedelta(days=30)
    assert (body["default_region"], body["effective_from"]) == ("DK", iso(late[0].timestamp))


async def test_replicas_seeding_at_once_seed_an_account_once(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], accounts_file: Path
) -> None:
    settings = customers_settings(new_database, kafka_bootstrap, new_topic(), accounts_file)
    async with running(settings) as service:
        pool = await create_service_pool(settings)
        try:
            twin = Accounts([Account(account_id="twin")])
            replicas = [Seeder(pool, twin, FixedClock(T), settings.events_topic) for _ in range(4)]
            made = await asyncio.gather(*(replica.pass_once() for replica in replicas))
        finally:
            await pool.close()
        assert sorted(made) == [[], [], [], ["twin"]]
        found = await eventually(lambda: seeds(service, "twin"), lambda found: len(found) == 1)
    assert found[0].event_id == "settings:twin:seed"


async def test_a_later_edit_in_the_file_is_ignored_and_logged_once(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], accounts_file: Path
) -> None:
    settings = customers_settings(new_database, kafka_bootstrap, new_topic(), accounts_file)
    accounts = registry(accounts_file)
    async with running(settings, accounts=accounts) as service:
        before = await eventually(
            lambda: settings_of(service, "acme"), lambda body: body["effective_from"] is not None
        )
        with structlog.testing.capture_logs() as logs:

            async def ignored() -> list[dict[str, Any]]:
                return [e for e in logs if str(e["event"]).startswith("accounts file edit")]

            accounts.put(Account(account_id="acme", dmo_targets={"invites": 99}))
            await eventually(ignored, bool)
            # The pass that seeds a new account also meets acme's edit again: no second line.
            sentinel = f"sentinel-{uuid.uuid4().hex[:6]}"
            accounts.put(Account(account_id=sentinel))
            await eventually(lambda: seeds(service, sentinel), lambda found: len(found) == 1)
            logged = await ignored()
        assert len(logged) == 1
        assert (logged[0]["account_id"], logged[0]["fields"]) == ("acme", ["dmo_targets"])
        assert await settings_of(service, "acme") == before


async def history(dsn: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(plain_postgres_dsn(dsn))
    try:
        rows = await conn.fetch(
            "SELECT account_id, event_id, effective_from, settings, actor FROM account_settings"
            " ORDER BY account_id, effective_from, event_id"
        )
    finally:
        await conn.close()
    return [dict(row) for row in rows]


async def test_a_rebuild_from_the_topic_restores_the_settings_history(stores: Stores) -> None:
    async with running(stores.first) as first:
        await eventually(lambda: seeds(first, "other"), lambda found: len(found) == 1)
        first.clock.advance(timedelta(hours=2))
        dated_back = iso(T + timedelta(hours=1))
        back = {"reminders": {"follow_up_2h": {"enabled": False}}, "effective_from": dated_back}
        assert (await put(first, back)).status_code == 200
        assert (await put(first, {"dmo_targets": {"invites": 5}})).status_code == 200
        assert (await put(first, {"default_region": "DK"}, account="other")).status_code == 200
        await eventually(lambda: outbox_sent(stores.database), bool)
        before = await history(stores.database)
        shown = await settings_of(first)
    assert [row["actor"] for row in before] == [
        SEED_ACTOR,
        "admin-1",
        "admin-1",
        SEED_ACTOR,
        "admin-1",
    ]

    # A later clock: the rebuild seeds at start, at its own time, before its consumer meets
    # the first seeds; the topic's copies are the ones kept.
    later = FixedClock(T + timedelta(days=3))
    async with stores.rebuilt(clock=later) as (rebuilt, rebuilt_db):
        after = await eventually(lambda: history(rebuilt_db), lambda found: found == before)
        assert await settings_of(rebuilt) == shown
    assert after == before
