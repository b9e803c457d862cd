"""Facts from the topic against real Kafka and PostgreSQL: S-NoShow, duplicates, late events,
a crash between the database commit and the publish, and the next-action mirror."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from crm_customers.consumer import batch_handler
from crm_customers.main import MIGRATIONS
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.clock import FixedClock
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new, drop_tombstoned

from .conftest import Service, customers_settings, running
from .events import T, fact_event
from .kafka_io import eventually, named, produce, read_events

H, D, M = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)


def s_no_show(customer: uuid.UUID) -> list[EventEnvelope]:
    """S-NoShow (docs/domain.md, 'Scenarios'); the NO_SHOW is sent 5 times with one event_id."""
    contact = {"name": "Kari", "email": "kari@example.no"}
    no_show = fact_event(
        EventName.NO_SHOW, D + 15 * M, customer=customer, event_id=f"noshow-{customer}"
    )
    return [
        fact_event(EventName.DM_STARTED, timedelta(0), customer=customer, contact=contact),
        fact_event(EventName.INVITE_SENT, H, customer=customer),
        fact_event(
            EventName.MEETING_BOOKED,
            2 * H,
            customer=customer,
            properties={"booking_time": (T + D).isoformat()},
        ),
        *([no_show] * 5),
    ]


async def card(service: Service, customer: uuid.UUID) -> dict[str, Any]:
    answer = await service.call("GET", f"/api/customers/{customer}")
    return answer.json() if answer.status_code == 200 else {}


async def changes_of(service: Service, customer: uuid.UUID, count: int) -> list[EventEnvelope]:
    """The STATUS_CHANGED of a customer on the topic, once `count` of them are there."""

    async def probe() -> list[EventEnvelope]:
        found = await read_events(service.bootstrap, service.topic)
        return [e for e in named(found, EventName.STATUS_CHANGED) if e.customer_id == customer]

    return await eventually(probe, lambda found: len(found) >= count)


async def test_s_no_show_gives_qualified_with_booking_no_show(service: Service) -> None:
    customer = uuid.uuid4()
    facts = s_no_show(customer)
    await produce(service.bootstrap, service.topic, facts)
    kari = await eventually(
        lambda: card(service, customer), lambda c: c.get("booking", {}).get("state") == "no_show"
    )
    assert (kari["status"], kari["name"], kari["email"]) == ("qualified", "Kari", "kari@example.no")
    assert kari["last_activity_at"] == (T + D + 15 * M).isoformat().replace("+00:00", "Z")
    assert kari["created_at"] == T.isoformat().replace("+00:00", "Z")
    changes = await changes_of(service, customer, 4)
    # One STATUS_CHANGED per change, each naming its cause; the 4 repeats changed nothing.
    assert [c.properties["cause_event_id"] for c in changes] == [f.event_id for f in facts[:4]]
    assert [(c.properties["from"]["status"], c.properties["to"]["status"]) for c in changes] == [
        ("lead", "relationship"),
        ("relationship", "invited"),
        ("invited", "qualified"),
        ("qualified", "qualified"),
    ]
    assert changes[3].properties["to"]["booking"]["state"] == "no_show"
    assert {c.properties["actor"] for c in changes} == {"event"}
    assert [c.timestamp for c in changes] == [f.timestamp for f in facts[:4]]
    everything = await read_events(service.bootstrap, service.topic)
    (created,) = named(everything, EventName.CUSTOMER_CREATED)
    assert created.properties["state"]["status"] == "relationship"
    assert created.properties["customer"]["name"] == "Kari"


async def test_a_duplicated_event_changes_nothing(service: Service) -> None:
    customer = uuid.uuid4()
    invite = fact_event(EventName.INVITE_SENT, H, customer=customer)
    await produce(service.bootstrap, service.topic, [invite])
    first = await eventually(
        lambda: card(service, customer), lambda c: c.get("status") == "invited"
    )
    await produce(service.bootstrap, service.topic, [invite, invite])
    marker = fact_event(EventName.MESSAGE_SENT, 2 * H, customer=customer)
    await produce(service.bootstrap, service.topic, [marker])
    after = await eventually(
        lambda: card(service, customer),
        lambda c: c.get("last_activity_at") == (T + 2 * H).isoformat().replace("+00:00", "Z"),
    )
    assert {k: v for k, v in after.items() if k not in ("last_activity_at", "updated_at")} == {
        k: v for k, v in first.items() if k not in ("last_activity_at", "updated_at")
    }
    assert len(await changes_of(service, customer, 1)) == 1


async def test_late_events_end_where_timestamp_order_does(service: Service) -> None:
    customer = uuid.uuid4()
    booked = fact_event(
        EventName.MEETING_BOOKED,
        2 * H,
        customer=customer,
        properties={"booking_time": (T + D).isoformat()},
    )
    no_show = fact_event(EventName.NO_SHOW, D, customer=customer)
    dm = fact_event(EventName.DM_STARTED, timedelta(0), customer=customer)
    await produce(service.bootstrap, service.topic, [no_show])
    await eventually(
        lambda: card(service, customer), lambda c: c.get("booking", {}).get("state") == "no_show"
    )
    await produce(service.bootstrap, service.topic, [booked, dm])
    # The booking is older than the no-show: a re-fold keeps the no-show.
    final = await eventually(
        lambda: card(service, customer),
        lambda c: (
            c.get("status") == "qualified"
            and c.get("last_activity_at") == (T + D).isoformat().replace("+00:00", "Z")
        ),
    )
    assert final["booking"] == {
        "state": "no_show",
        "time": (T + D).isoformat().replace("+00:00", "Z"),
        "booking_id": None,
    }
    # The late DM changed nothing: no STATUS_CHANGED names it.
    changes = await changes_of(service, customer, 2)
    assert dm.event_id not in {c.properties["cause_event_id"] for c in changes}


async def test_not_now_is_reopened_by_a_dm(service: Service) -> None:
    customer = uuid.uuid4()
    await produce(
        service.bootstrap,
        service.topic,
        [fact_event(EventName.INVITE_SENT, timedelta(0), customer=customer)],
    )
    await eventually(lambda: card(service, customer), lambda c: c.get("status") == "invited")
    service.clock.set(T + H)
    moved = await service.call("PUT", f"/api/customers/{customer}", json={"status": "not_now"})
    assert moved.json()["status"] == "not_now"
    await produce(
        service.bootstrap,
        service.topic,
        [fact_event(EventName.VIDEO_SENT, 2 * H, customer=customer)],
    )
    await produce(
        service.bootstrap,
        service.topic,
        [fact_event(EventName.DM_STARTED, 3 * H, customer=customer)],
    )
    reopened = await eventually(
        lambda: card(service, customer), lambda c: c.get("status") == "relationship"
    )
    assert reopened["last_activity_at"] == (T + 3 * H).isoformat().replace("+00:00", "Z")


async def test_nba_is_mirrored_unless_a_person_chose(service: Service) -> None:
    customer = uuid.uuid4()
    await produce(
        service.bootstrap,
        service.topic,
        [fact_event(EventName.DM_STARTED, timedelta(0), customer=customer)],
    )
    await eventually(lambda: card(service, customer), lambda c: c.get("status") == "relationship")
    recommendation = {
        "customer_id": str(customer),
        "action": "invite",
        "title": "Invite them",
        "reason": "a conversation is going",
        "priority": 50,
        "urgency": "low",
        "due_at": (T + H).isoformat(),
        "computed_at": (T + M).isoformat(),
    }
    nba = EventEnvelope(
        event_name=EventName.NBA_CHANGED,
        event_id=f"nba-{customer}",
        timestamp=T + M,
        account_id="acme",
        customer_id=customer,
        source="system",
        properties={"recommendation": recommendation},
        received_at=T + M,
        producer="nba",
    )
    await produce(service.bootstrap, service.topic, [nba])
    mirrored = await eventually(
        lambda: card(service, customer), lambda c: c.get("next_action") == "Invite them"
    )
    assert mirrored["next_action_date"] == (T + H).isoformat().replace("+00:00", "Z")
    service.clock.set(T + 2 * H)
    await service.call(
        "PUT",
        f"/api/customers/{customer}",
        json={"next_action": "Coffee", "next_action_date": (T + 5 * D).isoformat()},
    )
    later = nba.model_copy(
        update={
            "event_id": f"nba2-{customer}",
            "timestamp": T + 3 * H,
            "properties": {"recommendation": {**recommendation, "title": "Ask why"}},
        }
    )
    # Past the person's date the NBA shows again: the card moved, and `later` came before.
    past = later.model_copy(
        update={
            "event_id": f"nba3-{customer}",
            "timestamp": T + 6 * D,
            "properties": {"recommendation": {**recommendation, "title": "Ask again"}},
        }
    )
    await produce(service.bootstrap, service.topic, [past])
    await eventually(lambda: card(service, customer), lambda c: c.get("next_action") == "Ask again")
    # The outbox is published in order: once this last edit is out, all before it is too.
    await service.call("PUT", f"/api/customers/{customer}", json={"notes": "asked"})
    found = await eventually(
        lambda: read_events(service.bootstrap, service.topic),
        lambda events: any(
            e.customer_id == customer and "notes" in e.properties["changes"]
            for e in named(events, EventName.CUSTOMER_UPDATED)
        ),
    )
    updates = [e for e in named(found, EventName.CUSTOMER_UPDATED) if e.customer_id == customer]
    # The mirror moved three times and announced none of it; the person's choice is announced.
    assert [u.properties["changes"].get("next_action_by") for u in updates] == ["person", None]


async def test_a_crash_after_the_commit_still_publishes_each_change_once(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], accounts_file: Path
) -> None:
    settings = customers_settings(
        new_database, kafka_bootstrap, new_topic(partitions=3), accounts_file
    )
    customer = uuid.uuid4()
    facts = s_no_show(customer)
    await produce(kafka_bootstrap, settings.events_topic, facts)
    # A process that applied the batch and committed, then died before its outbox relay
    # published and before the consumer committed its offsets.
    await apply_migrations_in_thread(settings.database_url, MIGRATIONS)
    pool = await create_pool(settings.database_url)
    try:
        handle = batch_handler(FixedClock(T), settings.events_topic)
        async with pool.acquire() as conn, conn.transaction():
            fresh = await claim_new(conn, facts)
            live, _ = await drop_tombstoned(conn, fresh)
            await handle(conn, live)
        unsent = await pool.fetchval("SELECT count(*) FROM outbox")
        assert unsent == 5  # CUSTOMER_CREATED and four STATUS_CHANGED
    finally:
        await pool.close()
    async with running(settings) as service:
        changes = await changes_of(service, customer, 4)
        assert len({c.event_id for c in changes}) == 4
        # The consumer met the same facts again from the uncommitted offsets: duplicates.
        marker = fact_event(EventName.MESSAGE_SENT, 2 * D, customer=customer)
        await produce(kafka_bootstrap, settings.events_topic, [marker])
        await eventually(
            lambda: card(service, customer),
            lambda c: c.get("last_activity_at") == (T + 2 * D).isoformat().replace("+00:00", "Z"),
        )
        everything = await read_events(kafka_bootstrap, settings.events_topic)
    mine = [e for e in everything if e.customer_id == customer]
    assert len(named(mine, EventName.STATUS_CHANGED)) == 4
    assert len(named(mine, EventName.CUSTOMER_CREATED)) == 1
