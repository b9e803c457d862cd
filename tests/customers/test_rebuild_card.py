"""A rebuild from the topic gives the same cards: contact data filled from events, fields a
person cleared, consent merged from events and a person's PUT, custom fields."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from rebuild_support import outbox_sent

from crm_schemas.catalog import EventName
from crm_servicekit.db import plain_postgres_dsn

from .conftest import Stores
from .events import T, fact_event
from .kafka_io import eventually, produce
from .test_api_customers import create
from .test_card_from_events import linking, with_consent
from .test_rebuild import H, everything, first_store


async def person_fields(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(plain_postgres_dsn(dsn))
    try:
        rows = await conn.fetch("SELECT id, person_fields::text AS marked FROM customers")
        return {str(row["id"]): row["marked"] for row in rows}
    finally:
        await conn.close()


async def test_rebuilding_gives_the_same_contact_data_consent_and_custom_fields(
    stores: Stores,
) -> None:
    by_handle = uuid.uuid4()
    async with first_store(stores) as first:
        ada = await create(
            first,
            name="Ada",
            handles={"ig": "ada"},
            consent={"messaging": True, "marketing": True},
            utm={"gclid": "Cj0"},
            custom={"tier": "gold", "score": 3},
        )
        await first.call(
            "PUT",
            f"/api/customers/{ada['id']}",
            json={"custom": {"score": None, "region": "west"}, "consent": {"marketing": False}},
        )
        handle, email = {"handles": {"ig": "kari"}}, {"email": "kari@example.no"}
        dm = linking(EventName.DM_STARTED, customer=by_handle, contact=handle, linked=handle)
        lead = linking(
            EventName.LEAD_QUALIFIED,
            H,
            customer=by_handle,
            contact={"name": "Kari", **email},
            linked={**email, **handle},
        )
        await produce(first.bootstrap, first.topic, [dm, lead])
        await eventually(
            lambda: first.call("GET", f"/api/customers/{by_handle}"),
            lambda answer: answer.status_code == 200 and answer.json()["name"] == "Kari",
        )
        first.clock.set(T + 3 * H)
        await first.call("PUT", f"/api/customers/{by_handle}", json={"name": None})
        await produce(
            first.bootstrap,
            first.topic,
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
        await eventually(lambda: outbox_sent(stores.database), bool)
        before = await everything(first)
    kari = next(c for c in before["customers"] if c["id"] == str(by_handle))
    assert (kari["name"], kari["email"], kari["opted_out"]) == (None, "kari@example.no", True)
    assert kari["consent"] == {"messaging": False, "email": True}
    ada_card = next(c for c in before["customers"] if c["id"] == ada["id"])
    assert ada_card["custom"] == {"tier": "gold", "region": "west"}
    assert ada_card["consent"] == {"messaging": True, "marketing": False}
    marked = await person_fields(stores.database)

    async with stores.rebuilt() as (rebuilt, rebuilt_db):
        after = await eventually(lambda: everything(rebuilt), lambda found: found == before)
        assert after == before
        assert await person_fields(rebuilt_db) == marked
