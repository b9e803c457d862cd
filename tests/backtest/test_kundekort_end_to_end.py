"""The Kundekort stays true through the running system (docs/domain.md, Customers and
identity; Vocabularies; Activity): identities that a person moves, contact data from later
events, an import in an open stage, and a booking made in the recruiting vocabulary, each seen
through the gateway as a client sees them."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from crm_backtest.client import Gateway
from crm_backtest.clock import iso, parse

from .e2e_support import Scenario, eventually, eventually_true, hours_ago

ACCOUNT = "demo-ny"
RACES = 5

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def new_email() -> str:
    return f"kk-{uuid.uuid4().hex[:12]}@example.com"


async def create(gateway: Gateway, **fields: Any) -> dict[str, Any]:
    body = {"name": "Kundekort E2E", **fields}
    response = await gateway.request("POST", "/customers", ACCOUNT, json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def put(gateway: Gateway, customer_id: str, **fields: Any) -> dict[str, Any]:
    response = await gateway.request("PUT", f"/customers/{customer_id}", ACCOUNT, json=fields)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def card(gateway: Gateway, customer_id: str) -> dict[str, Any]:
    response = await gateway.request("GET", f"/customers/{customer_id}", ACCOUNT)
    return response.json() if response.status_code == 200 else {}


async def send(gateway: Gateway, name: str, at: datetime, contact: dict[str, Any]) -> str:
    """A fact about whoever holds the contact's identities; the customer ingest resolved."""
    body = {
        "event_name": name,
        "event_id": f"kk-{uuid.uuid4()}",
        "timestamp": iso(at),
        "contact": contact,
        "source": "manual",
    }
    response = await gateway.request("POST", "/events", ACCOUNT, json=body)
    assert response.status_code == 202, response.text
    customer_id: str = response.json()["customer_id"]
    return customer_id


async def nba_facts(gateway: Gateway, customer_id: str) -> dict[str, Any]:
    response = await gateway.request("GET", f"/nba/customer/{customer_id}", ACCOUNT)
    facts: dict[str, Any] = response.json().get("facts", {}) if response.status_code == 200 else {}
    return facts


async def holders_shown(gateway: Gateway, email: str) -> set[str]:
    """The customers whose card shows this email."""
    items = await gateway.list_all("/customers", ACCOUNT, q=email)
    return {item["id"] for item in items if item.get("email") == email}


async def test_an_old_email_after_a_change_belongs_to_someone_else(gateway: Gateway) -> None:
    old, new = new_email(), new_email()
    moved = await create(gateway, email=old, status="lead")
    await put(gateway, moved["id"], email=new)

    # The old address is free: a new customer may be created with it ...
    again = await create(gateway, email=old, status="lead")
    assert again["id"] != moved["id"]

    # ... and an event carrying a released address, plain or hashed, is not the moved customer.
    hashed_old, hashed_new = new_email(), new_email()
    rehashed = await create(gateway, email=hashed_old, status="lead")
    await put(gateway, rehashed["id"], email=hashed_new)
    digest = hashlib.sha256(hashed_old.encode()).hexdigest()
    at = hours_ago(2)
    assert await send(gateway, "INVITE_SENT", at, {"email_sha256": digest}) != rehashed["id"]
    assert await send(gateway, "INVITE_SENT", at, {"email": hashed_old}) != rehashed["id"]


async def race_a_change_and_an_event(gateway: Gateway) -> None:
    old, new = new_email(), new_email()
    customer = await create(gateway, email=old, status="lead")
    await asyncio.gather(
        put(gateway, customer["id"], email=new),
        send(gateway, "INVITE_SENT", hours_ago(1), {"email": old}),
    )
    # Whoever ingest resolves the old address to now is its one holder ...
    holder = await send(gateway, "INVITE_SENT", hours_ago(1), {"email": old})
    assert holder != customer["id"]
    # ... and its card, and no other, shows it.
    shown = await eventually(lambda: holders_shown(gateway, old), {holder})
    assert shown == {holder}


async def test_a_change_racing_an_event_leaves_one_holder_whose_card_shows_it(
    gateway: Gateway,
) -> None:
    for _ in range(RACES):
        await race_a_change_and_an_event(gateway)


async def test_contact_data_from_a_later_event_fills_the_card(gateway: Gateway) -> None:
    s = Scenario(gateway, ACCOUNT)
    t0 = hours_ago(6)
    await s.dm(t0)
    email = new_email()
    await s.event(
        "LEAD_QUALIFIED",
        t0 + timedelta(hours=1),
        contact={"handles": {"ig": s.handle}, "email": email},
    )
    filled = await eventually_true(s.customer, lambda c: c.get("email") == email)
    assert filled["email"] == email

    # Another address for the same person changes nothing on the card; a later fact, once its
    # activity shows, proves the event was applied.
    later = t0 + timedelta(hours=2)
    await s.event(
        "MESSAGE_RECEIVED", later, contact={"handles": {"ig": s.handle}, "email": new_email()}
    )
    applied = await eventually_true(
        s.customer,
        lambda c: c.get("last_activity_at") and parse(c["last_activity_at"]) == later,
    )
    assert applied["email"] == email

    # Consent is the key-wise merge in timestamp order, whatever the arrival order.
    handle = {"handles": {"ig": s.handle}}
    await s.event(
        "MESSAGE_RECEIVED", t0 + timedelta(hours=4), contact=handle, consent={"messaging": False}
    )
    await s.event(
        "MESSAGE_RECEIVED",
        t0 + timedelta(hours=3),
        contact=handle,
        consent={"messaging": True, "marketing": True},
    )
    merged = await eventually_true(
        s.customer, lambda c: (c.get("consent") or {}).get("marketing") is True
    )
    assert merged["consent"]["messaging"] is False
    assert merged["opted_out"] is True


async def test_an_imported_lead_is_followed_up_after_a_week(gateway: Gateway) -> None:
    lead = await create(gateway, handles={"ig": f"kk{uuid.uuid4().hex[:12]}"}, status="lead")
    created = parse(lead["created_at"])
    assert lead["last_activity_at"] is not None
    assert parse(lead["last_activity_at"]) == created

    async def reminders() -> set[tuple[str, datetime, str]]:
        items = await gateway.list_all("/reminders", ACCOUNT, customer_id=lead["id"])
        return {(r["type"], parse(r["scheduled_for"]), r["status"]) for r in items}

    expected = {("follow_up_7d", created + timedelta(days=7), "open")}
    assert await eventually(reminders, expected) == expected
    # The NBA takes the creation as the lead's last activity too.
    facts = await eventually_true(
        lambda: nba_facts(gateway, lead["id"]), lambda f: f.get("last_activity_at") is not None
    )
    assert parse(facts["last_activity_at"]) == created


async def test_a_booking_made_in_the_recruiting_vocabulary_moves_the_nba(
    gateway: Gateway,
) -> None:
    customer = await create(
        gateway,
        handles={"ig": f"kk{uuid.uuid4().hex[:12]}"},
        status="Qualified",
        pipeline="recruiting",
        prospect_why="More time with the kids",
    )
    booked_for = hours_ago(-48)
    answer = await put(
        gateway,
        customer["id"],
        status="Booked",
        pipeline="recruiting",
        booking={"state": "booked", "time": iso(booked_for)},
    )
    assert answer["pipeline_status"] == "Booked"
    assert answer["booking"]["state"] == "booked"

    facts = await eventually_true(
        lambda: nba_facts(gateway, customer["id"]), lambda f: f.get("booking_state") == "booked"
    )
    assert facts["booking_state"] == "booked"
