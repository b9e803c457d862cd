"""The settings history every applying service keeps from ACCOUNT_SETTINGS_CHANGED, against
real PostgreSQL: recorded once per event id, read back in order, with the file's values before
any change is seen."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from crm_schemas.account_settings import SEED_ACTOR, AutomationSettings
from crm_schemas.catalog import EventName
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, create_pool
from crm_servicekit.settings_store import (
    record_settings_changes,
    settings_histories,
    settings_history,
)

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
DEMO = Account(account_id="demo", dmo_targets={"invites": 4, "follow_ups": 6})
ACME = Account(account_id="acme", time_zone="UTC")


def changed(account: str, at: datetime, invites: int, event_id: str | None = None) -> EventEnvelope:
    settings = AutomationSettings().merged({"dmo_targets": {"invites": invites}})
    return EventEnvelope(
        event_name=EventName.ACCOUNT_SETTINGS_CHANGED,
        event_id=event_id or f"settings:{account}:{uuid.uuid4()}",
        timestamp=at,
        account_id=account,
        source=Source.SYSTEM,
        properties={"settings": settings.model_dump(mode="json"), "actor": SEED_ACTOR},
        received_at=at,
        producer="customers",
    )


async def test_changes_are_kept_once_and_read_back_in_force(new_database: str) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    conn = await asyncpg.connect(new_database)
    try:
        seed = changed("demo", T0, 20, "settings:demo:seed")
        later = changed("demo", T0 + timedelta(days=2), 5)
        other = changed("acme", T0, 9)
        assert await record_settings_changes(conn, [seed, other]) == {"demo", "acme"}
        # A redelivered change is not a second one.
        assert await record_settings_changes(conn, [seed, later]) == {"demo"}
        history = await settings_history(conn, DEMO)
        assert [change.effective_from for change in history.changes] == [T0, later.timestamp]
        assert history.in_force(T0 - timedelta(days=30)).dmo_targets.invites == 20
        assert history.in_force(T0 + timedelta(days=1)).dmo_targets.invites == 20
        assert history.in_force(T0 + timedelta(days=2)).dmo_targets.invites == 5
        assert (await settings_history(conn, ACME)).latest().dmo_targets.invites == 9
    finally:
        await conn.close()


async def test_an_account_with_no_change_seen_has_its_files_values(new_database: str) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    conn = await asyncpg.connect(new_database)
    try:
        assert await record_settings_changes(conn, []) == set()
        histories = await settings_histories(conn, [DEMO, ACME])
        assert histories["demo"].changes == ()
        assert histories["demo"].in_force(T0).dmo_targets.invites == 4
        assert histories["acme"].in_force(T0).time_zone == "UTC"
    finally:
        await conn.close()


async def test_changes_round_trip_through_a_services_pool(new_database: str) -> None:
    # A service's pool encodes jsonb parameters itself (crm_servicekit.db); the settings
    # must still be stored as an object, not as a JSON string.
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    pool = await create_pool(new_database, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            assert await record_settings_changes(conn, [changed("demo", T0, 7)]) == {"demo"}
            history = await settings_history(conn, DEMO)
            kind = await conn.fetchval(
                "SELECT jsonb_typeof(settings) FROM account_settings_history"
            )
        assert history.latest().dmo_targets.invites == 7
        assert kind == "object"
    finally:
        await pool.close()
