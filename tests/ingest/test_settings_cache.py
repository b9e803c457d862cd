"""Ingest's cache of the accounts' settings histories, against real PostgreSQL: read once per
expiry, forgotten when this replica records a change, the store read again after expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from crm_ingest.service.account_settings import SettingsCache, record_changes
from crm_schemas.account_settings import SEED_ACTOR
from crm_servicekit.accounts import Account
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, create_pool

from .support import T0
from .test_settings_region import settings_changed

ACME = Account(account_id="acme")


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_histories_are_read_once_per_expiry_and_forgotten_when_recorded(
    new_database: str,
) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    pool = await create_pool(new_database, min_size=1, max_size=2)
    clock = Ticking()
    cache = SettingsCache(pool, ttl_s=2.0, monotonic=clock)
    try:
        seed = settings_changed(T0 - timedelta(days=1), "NO", SEED_ACTOR)
        async with pool.acquire() as conn:
            await record_changes(conn, [seed], cache)
        # Requests at once share one read.
        first, second = await asyncio.gather(cache.history(ACME), cache.history(ACME))
        assert first is second
        assert first.latest().default_region == "NO"

        # Another replica records a change: this one applies its copy until it expires.
        async with pool.acquire() as conn:
            await record_changes(conn, [settings_changed(T0, "SE", "user-1")], None)
        clock.now = 1.9
        assert (await cache.history(ACME)).latest().default_region == "NO"
        clock.now = 2.0
        assert (await cache.history(ACME)).latest().default_region == "SE"

        # This replica records one: its requests read it at once.
        async with pool.acquire() as conn:
            await record_changes(conn, [settings_changed(T0, "DK", "user-1")], cache)
        assert (await cache.history(ACME)).latest().default_region == "DK"
    finally:
        await pool.close()
