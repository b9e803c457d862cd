"""Rebuilding this service's database from the topic gives the same customers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from rebuild_support import outbox_sent

from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.system_properties import CustomerCreated, CustomerSnapshot

from .conftest import Service, Stores, running
from .events import T, fact_event, nba_changed
from .kafka_io import eventually, produce
from .test_api_customers import create
from .test_facts_integration import s_no_show

H = timedelta(hours=1)


async def everything(service: Service) -> dict[str, Any]:
    """What the API shows: every customer (with its vocabulary term) and their interactions."""
    listed = await service.call(
        "GET", "/api/customers", params={"sort": "created_at", "limit": 500, "pipeline": "frazer"}
    )
    customers = listed.json()["items"]
    interactions = {}
    for customer in customers:
        found = await service.call("GET", f"/api/interactions/customer/{customer['id']}")
        interactions[customer["id"]] = found.json()["items"]
    return {"customers": customers, "interactions": interactions}


@asynccontextmanager
async def first_store(stores: Stores) -> AsyncIterator[Service]:
    """The store to rebuild, running with its clock before the facts' time T."""
    async with running(stores.first) as first:
        first.clock.set(T - 2 * H)
        yield first


async def test_rebuilding_from_the_topic_gives_the_same_customers(stores: Stores) -> None:
    from_facts = uuid.uuid4()
    async with first_store(stores) as first:
        kari = await create(
            first,
            name="Kari",
            email="kari@example.no",
            status="Booked",
            pipeline="recruiting",
            next_action="Confirm",
            utm={"campaign": "autumn"},
        )
        ola = await create(first, name="Ola", status="invited")
        gone = await create(first, name="Gone")
        await first.call(
            "PUT", f"/api/customers/{ola['id']}", json={"notes": "likes hiking", "country": "NO"}
        )
        await first.call(
            "POST", f"/api/customers/{ola['id']}/next-stage", json={"prospect_why": "freedom"}
        )
        await first.call(
            "PUT",
            f"/api/customers/{ola['id']}",
            json={"booking": {"state": "booked", "time": (T + H).isoformat()}},
        )
        await first.call(
            "POST",
            "/api/interactions",
            json={"customer_id": ola["id"], "type": "call", "content": "good talk"},
        )
        await first.call("PUT", f"/api/customers/{kari['id']}", json={"status": "not_now"})
        await first.call("DELETE", f"/api/customers/{gone['id']}")
        await first.call("PUT", f"/api/customers/{ola['id']}", json={"next_action": "Coffee"})
        await first.call("PUT", f"/api/customers/{ola['id']}", json={"next_action": None})
        await first.call(
            "PUT",
            f"/api/customers/{kari['id']}",
            json={"next_action": "Call back", "next_action_date": (T + 3 * H).isoformat()},
        )
        await produce(
            first.bootstrap,
            first.topic,
            [*s_no_show(from_facts), nba_changed(from_facts, "Rebook", 25 * H)],
        )
        await produce(
            first.bootstrap,
            first.topic,
            [
                fact_event(
                    EventName.DM_STARTED, 30 * H, customer=uuid.UUID(kari["id"]), messaging=False
                )
            ],
        )
        await eventually(
            lambda: first.call("GET", f"/api/customers/{kari['id']}"),
            lambda answer: answer.json()["opted_out"] is True,
        )
        await eventually(
            lambda: first.call("GET", f"/api/customers/{from_facts}"),
            lambda answer: answer.json().get("next_action") == "Rebook",
        )
        await eventually(lambda: outbox_sent(stores.database), bool)
        before = await everything(first)
    assert [c["name"] for c in before["customers"]] == ["Kari", "Ola", "Kari"]
    assert before["customers"][0]["status"] == "relationship"  # the DM re-opened not_now
    assert before["customers"][0]["next_action"] == "Call back"
    assert before["customers"][1]["next_action"] is None

    async with stores.rebuilt() as (rebuilt, _):
        after = await eventually(lambda: everything(rebuilt), lambda found: found == before)
    assert after == before


async def test_a_fact_before_the_creation_on_the_topic_still_rebuilds_the_person_s_entry(
    service: Service,
) -> None:
    """Ingest may publish a DM for a just-created customer before our relay publishes
    CUSTOMER_CREATED; a rebuild meets them in that order."""
    customer = uuid.uuid4()
    requested = T + H
    cause = Cause(str(uuid.uuid4()), "STATUS_CHANGED", requested, requested, actor_id="marketer-1")
    imported = PipelineState(status=Status.QUALIFIED, booking=Booking(state=BookingState.BOOKED))
    snapshot = CustomerSnapshot(name="Kari", email="kari@example.no", next_action="Confirm")
    created = cause.event(
        EventName.CUSTOMER_CREATED,
        producer="customers",
        account_id="acme",
        customer_id=customer,
        properties=CustomerCreated(customer=snapshot, state=imported, created_at=requested),
    )
    dm = fact_event(EventName.DM_STARTED, H - timedelta(minutes=1), customer=customer)
    await produce(service.bootstrap, service.topic, [dm, created])
    card = await eventually(
        lambda: service.call("GET", f"/api/customers/{customer}"),
        lambda answer: answer.json().get("name") == "Kari",
    )
    kari = card.json()
    assert (kari["status"], kari["booking"]["state"]) == ("qualified", "booked")
    assert (kari["email"], kari["next_action"], kari["source"]) == (
        "kari@example.no",
        "Confirm",
        "ig",
    )
    assert kari["created_at"] == requested.isoformat().replace("+00:00", "Z")
    assert kari["last_activity_at"] == dm.timestamp.isoformat().replace("+00:00", "Z")
