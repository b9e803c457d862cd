"""Claims replace: the claimed set becomes the customer's, the rest is released with its
hashes; against real PostgreSQL, including a claim racing an event."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import asyncpg

from .conftest import new_id
from .support import SERVICE_TOKEN, Ingest

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def invite(contact: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "event_name": "INVITE_SENT",
        "event_id": new_id(),
        "timestamp": "2026-11-02T08:30:00Z",
        "contact": contact,
        **fields,
    }


async def send(ingest: Ingest, body: dict[str, Any]) -> str:
    answer = await ingest.client.post("/api/events", json=body, headers=ingest.auth())
    assert answer.status_code == 202, answer.text
    customer: str = answer.json()["customer_id"]
    return customer


async def claim(ingest: Ingest, customer: str, identities: dict[str, Any], **more: Any) -> Any:
    body = {"account_id": "acme", "customer_id": customer, "identities": identities, **more}
    return await ingest.client.post("/internal/identities/claim", json=body, headers=SERVICE)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_a_new_email_releases_the_old_one_and_its_hash(ingest: Ingest) -> None:
    old, new = f"{new_id()}@example.com", f"{new_id()}@example.com"
    kari = await send(ingest, invite({"email": old, "phone": "+4741234567"}))
    answer = await claim(ingest, kari, {"email": new, "phone": "+4741234567"})
    assert answer.status_code == 200, answer.text
    assert sorted(r["kind"] for r in answer.json()["released"]) == ["email", "email_sha256"]
    # The new email and the kept phone find Kari.
    assert await send(ingest, invite({"email": new})) == kari
    assert await send(ingest, invite({"phone": "+47 412 34 567"})) == kari
    # Another customer may now be created with the old email, and events with it (or its
    # hash) find that customer, never Kari.
    newcomer = str(uuid.uuid4())
    taken = await claim(ingest, newcomer, {"email": old})
    assert taken.status_code == 200, taken.text
    assert await send(ingest, invite({"email": old})) == newcomer
    assert await send(ingest, invite({"email_sha256": sha(old)})) == newcomer


async def test_an_event_with_the_old_email_after_a_claim_is_another_customer(
    ingest: Ingest,
) -> None:
    old, new = f"{new_id()}@example.com", f"{new_id()}@example.com"
    kari = await send(ingest, invite({"email": old}))
    assert (await claim(ingest, kari, {"email": new})).status_code == 200
    assert await send(ingest, invite({"email_sha256": sha(old)})) != kari
    # That hash's holder now also takes the plain address: one person, not Kari.
    holder = await send(ingest, invite({"email": old}))
    assert holder != kari
    assert await send(ingest, invite({"email_sha256": sha(old)})) == holder


async def test_release_frees_a_cleared_value_with_its_hash(ingest: Ingest) -> None:
    phone, handle = "+4741234599", new_id("h")
    kari = await send(ingest, invite({"phone": phone, "handles": {"ig": handle}}))
    answer = await claim(ingest, kari, {}, release={"phone": phone})
    assert answer.status_code == 200, answer.text
    assert sorted(r["kind"] for r in answer.json()["released"]) == ["phone", "phone_sha256"]
    assert await send(ingest, invite({"phone": phone})) != kari
    # A kind neither named nor released stays.
    assert await send(ingest, invite({"handles": {"ig": handle}})) == kari


async def test_only_the_claiming_customers_values_are_released(ingest: Ingest) -> None:
    email, phone = f"{new_id()}@example.com", "+4741234588"
    kari = await send(ingest, invite({"email": email}))
    ola = await send(ingest, invite({"phone": phone}))
    answer = await claim(ingest, ola, {}, release={"email": email})
    assert answer.status_code == 200, answer.text
    assert answer.json()["released"] == []
    assert await send(ingest, invite({"email": email})) == kari
    # A claim naming a value another customer holds is 409 and releases nothing.
    refused = await claim(ingest, ola, {"email": email, "phone": "+4741234589"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["holder_customer_id"] == kari
    assert await send(ingest, invite({"phone": phone})) == ola


async def test_a_value_both_claimed_and_released_is_422_naming_it(ingest: Ingest) -> None:
    email = f"{new_id()}@example.com"
    answer = await claim(
        ingest, str(uuid.uuid4()), {"email": email}, release={"email": email.upper()}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["body", "release", "email"]


async def test_a_claim_racing_an_event_with_the_old_email_leaves_at_most_one_holder(
    ingest: Ingest,
) -> None:
    conn = await asyncpg.connect(str(ingest.settings.database_url))
    try:
        for _ in range(25):
            old, new = f"{new_id()}@example.com", f"{new_id()}@example.com"
            kari = await send(ingest, invite({"email": old}))
            claimed, event = await asyncio.gather(
                claim(ingest, kari, {"email": new}),
                ingest.client.post(
                    "/api/events", json=invite({"email": old}), headers=ingest.auth()
                ),
            )
            assert claimed.status_code == 200, claimed.text
            assert event.status_code == 202, event.text
            holders = await conn.fetch(
                "SELECT customer_id FROM identities WHERE account_id = 'acme'"
                " AND kind = 'email' AND value = $1",
                old,
            )
            kept = await conn.fetch(
                "SELECT value FROM identities WHERE account_id = 'acme' AND kind = 'email'"
                " AND customer_id = $1",
                uuid.UUID(kari),
            )
            # Kari holds the new email only; the old one is nobody's or the event's new
            # customer's.
            assert [row["value"] for row in kept] == [new]
            event_customer = event.json()["customer_id"]
            if event_customer == kari:  # resolved before the claim released it
                assert holders == []
            else:
                assert [str(row["customer_id"]) for row in holders] == [event_customer]
    finally:
        await conn.close()
