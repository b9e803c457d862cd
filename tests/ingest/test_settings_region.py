"""The running ingest reads a phone without a country code in the default_region in force at
the event's timestamp, from the ACCOUNT_SETTINGS_CHANGED it consumes (docs/domain.md,
Accounts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from crm_schemas.account_settings import SEED_ACTOR, AutomationSettings
from crm_schemas.catalog import EventName
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.db import plain_postgres_dsn
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of

from .conftest import new_id
from .support import T0, Ingest, eventually


def settings_changed(at: datetime, region: str, actor: str) -> EventEnvelope:
    """What the customers service announces for acme: the whole settings after the change,
    keyed by the account and stamped with the change's effective_from."""
    settings = AutomationSettings(default_region=region)
    return EventEnvelope(
        event_name=EventName.ACCOUNT_SETTINGS_CHANGED,
        event_id=new_id("settings"),
        timestamp=at,
        account_id="acme",
        source=Source.SYSTEM,
        properties={"settings": settings.model_dump(mode="json"), "actor": actor},
        received_at=at,
        producer="customers",
    )


async def recorded_changes(ingest: Ingest) -> int:
    conn = await asyncpg.connect(plain_postgres_dsn(ingest.settings.database_url))
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM account_settings_history")
        return count
    finally:
        await conn.close()


async def phone_published(ingest: Ingest, at: datetime, phone: str) -> Any:
    event_id = new_id()
    event = {
        "event_name": "INVITE_SENT",
        "event_id": event_id,
        "timestamp": at.isoformat(),
        "contact": {"phone": phone, "email": f"{event_id}@example.com"},
    }
    answer = await ingest.client.post("/api/events", json=event, headers=ingest.auth())
    assert answer.status_code == 202, answer.text
    (published,) = await ingest.published_with(event_id)
    assert published.envelope.contact is not None
    return published.envelope.contact.phone


async def test_a_phone_is_read_in_the_region_in_force_at_the_events_timestamp(
    ingest: Ingest,
) -> None:
    changed_at = T0 - timedelta(hours=1)
    seed = settings_changed(T0 - timedelta(days=10), "NO", SEED_ACTOR)
    to_sweden = settings_changed(changed_at, "SE", "user-1")
    producer = idempotent_producer(ingest.bootstrap, client_id="tests")
    await producer.start()
    try:
        topic = ingest.settings.events_topic
        await publish_in_order(producer, [record_of(e, topic) for e in (seed, to_sweden)])
    finally:
        await producer.stop()
    await eventually(lambda: recorded_changes(ingest), lambda count: count == 2)

    after, before = changed_at + timedelta(minutes=30), changed_at - timedelta(minutes=30)
    assert await phone_published(ingest, after, "22334455") == "+4622334455"
    assert await phone_published(ingest, before, "22334455") == "+4722334455"
    assert await phone_published(ingest, before, "98765432") == "+4798765432"
    # No Swedish number is written so: left off, the event still names the person by email.
    assert await phone_published(ingest, after, "98765432") is None
