"""The consumer keeps each account's ACCOUNT_SETTINGS_CHANGED, against real PostgreSQL: once
per event id, in the settings history and in the event log (an account-level event, no
customer), and never on the ticker."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new, drop_tombstoned
from crm_servicekit.settings_store import settings_history
from crm_stats.main import MIGRATIONS
from crm_stats.repository.event_log import EventFilter, events_page
from crm_stats.service import record_batch

from .scripted_week import event
from .settings_events import seeded, settings_changed

pytestmark = pytest.mark.integration

ACME = Account(account_id="acme", dmo_targets={"invites": 2, "follow_ups": 1})
T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)


async def apply_batch(conn: Conn, batch: Sequence[EventEnvelope]) -> None:
    """As the consumer runtime does: de-dup by event id, drop deleted customers' events."""
    async with conn.transaction():
        fresh = await claim_new(conn, batch)
        live, _ = await drop_tombstoned(conn, fresh)
        if live:
            await record_batch(conn, live, Accounts([ACME]))


async def test_settings_changes_are_kept_once_logged_and_not_on_the_ticker(
    new_database: str,
) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    seed = seeded(ACME, T0)
    lowered = settings_changed(ACME, T0 + timedelta(days=1), {"dmo_targets": {"invites": 1}})
    booked = event(
        "MEETING_BOOKED",
        uuid.uuid4(),
        T0 + timedelta(hours=2),
        {"booking_time": (T0 + timedelta(days=2)).isoformat()},
        account="acme",
    )
    # A pool's connection, as the runtime's: it encodes json and jsonb parameters itself.
    pool = await create_pool(new_database)
    try:
        async with pool.acquire() as conn:
            await apply_batch(conn, [seed, booked])
            await apply_batch(conn, [seed, lowered])  # the seed redelivered with the next change
            history = await settings_history(conn, ACME)
            assert [change.effective_from for change in history.changes] == [T0, lowered.timestamp]
            assert history.in_force(T0 + timedelta(hours=23)).dmo_targets.invites == 2
            assert history.in_force(lowered.timestamp).dmo_targets.invites == 1

            where = EventFilter(event_name=lowered.event_name)
            logged = [row.envelope for row in await events_page(conn, "acme", where, None, 10)]
            assert [item["event_id"] for item in logged] == [lowered.event_id, seed.event_id]
            assert {item.get("customer_id") for item in logged} == {None}  # account-level

            queued = await conn.fetch("SELECT item_id FROM ticker_pending")
            assert [row["item_id"] for row in queued] == [booked.event_id]
    finally:
        await pool.close()
