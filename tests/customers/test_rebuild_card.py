"""A rebuild from the topic gives the same cards: contact data filled from events, fields a
person cleared, consent merged from events and a person's PUT, custom fields."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from rebuild_support import outbox_sent

from crm_devstack.databases import create_database, drop_database
from crm_schemas.catalog import EventName
from crm_servicekit.db import plain_postgres_dsn

from .conftest import customers_settings, running
from .events import T, fact_event
from .kafka_io import eventually, produce
from .test_card_from_events import with_consent, with_identities
from .test_rebuild import H, RebuildSettings, everything


async def person_fields(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(plain_postgres_dsn(dsn))
    try:
        rows = await conn.fetch("SELECT id, person_fields::text AS marked FROM customers")
        return {str(row["id"]): row["marked"] for row in rows}
    finally:
        await conn.close()


async def test_rebuilding_gives_the_same_contact_data_consent_and_custom_fields(
    kafka_bootstrap: str,
    postgres_url: str,
    new_database: str,
    new_topic: Callable[..., str],
    accounts_file: Path,
) -> None:
    topic = new_topic(partitions=3)
    settings = customers_settings(new_database, kafka_bootstrap, topic, accounts_file)
    by_handle = uuid.uuid4()
    async with running(settings) as first:
        first.clock.set(T - 2 * H)
        ada = (
            await first.call(
                "POST",
                "/api/customers",
                json={
                    "name": "Ada",
                    "handles": {"ig": "ada"},
                    "consent": {"messaging": True, "marketing": True},
                    "utm": {"gclid": "Cj0"},
                    "custom": {"tier": "gold", "score": 3},
                },
            )
        ).json()
        await first.call(
            "PUT",
            f"/api/customers/{ada['id']}",
            json={"custom": {"score": None, "region": "west"}, "consent": {"marketing": False}},
        )
        dm = with_identities(
            fact_event(
                EventName.DM_STARTED, customer=by_handle, contact={"handles": {"ig": "kari"}}
            ),
            handles={"ig": "kari"},
        )
        lead = with_identities(
            fact_event(
                EventName.LEAD_QUALIFIED,
                H,
                customer=by_handle,
                contact={"name": "Kari", "email": "kari@example.no"},
            ),
            email="kari@example.no",
            handles={"ig": "kari"},
        )
        await produce(kafka_bootstrap, topic, [dm, lead])
        await eventually(
            lambda: first.call("GET", f"/api/customers/{by_handle}"),
            lambda answer: answer.status_code == 200 and answer.json()["name"] == "Kari",
        )
        first.clock.set(T + 3 * H)
        await first.call("PUT", f"/api/customers/{by_handle}", json={"name": None})
        await produce(
            kafka_bootstrap,
            topic,
            [
                with_consent(
                    fact_event(EventName.MESSAGE_RECEIVED, 2 * H, customer=by_handle),
                    messaging=False,
                ),
                # Late, before the opt-out: keeps its email key, leaves messaging false.
                with_consent(
                    fact_event(
                        EventName.INVITE_SENT,
                        90 * H / 60,
                        customer=by_handle,
                        contact={"name": "Kari N"},
                    ),
                    messaging=True,
                    email=True,
                ),
            ],
        )
        await eventually(
            lambda: first.call("GET", f"/api/customers/{by_handle}"),
            lambda answer: (answer.json()["consent"] or {}).get("email") is True,
        )
        await eventually(lambda: outbox_sent(new_database), bool)
        before = await everything(first)
    kari = next(c for c in before["customers"] if c["id"] == str(by_handle))
    assert (kari["name"], kari["email"], kari["opted_out"]) == (None, "kari@example.no", True)
    assert kari["consent"] == {"messaging": False, "email": True}
    ada_card = next(c for c in before["customers"] if c["id"] == ada["id"])
    assert ada_card["custom"] == {"tier": "gold", "region": "west"}
    assert ada_card["consent"] == {"messaging": True, "marketing": False}
    marked = await person_fields(new_database)

    rebuilt_name = f"rebuild_{uuid.uuid4().hex[:10]}"
    rebuilt_db = await create_database(postgres_url, rebuilt_name)
    try:
        rebuilt_settings = RebuildSettings(
            database_url=rebuilt_db,
            kafka_bootstrap_servers=kafka_bootstrap,
            accounts_file=accounts_file,
            environment="test",
            events_topic=topic,
        )
        async with running(rebuilt_settings) as rebuilt:
            after = await eventually(lambda: everything(rebuilt), lambda found: found == before)
        assert after == before
        assert await person_fields(rebuilt_db) == marked
    finally:
        await drop_database(postgres_url, rebuilt_name)
