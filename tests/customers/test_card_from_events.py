"""Contact data and consent from later events reach the card (real Kafka and PostgreSQL):
ingest's linked identities fill what the card lacks, never what a person set or cleared, and
consent is the key-wise merge of consent facts in timestamp order, whatever the arrival."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from crm_schemas.catalog import EventName
from crm_schemas.contact import Consent, LinkedIdentities
from crm_schemas.envelope import EventEnvelope

from .conftest import Service
from .events import T, fact_event
from .kafka_io import eventually, named, produce, read_events
from .test_facts_integration import card

H = timedelta(hours=1)


def linking(
    name: EventName, at: timedelta = timedelta(0), *, linked: dict[str, Any], **fact: Any
) -> EventEnvelope:
    """A fact (fact_event's fields) as ingest publishes it: naming the identities it linked to
    the customer."""
    event = fact_event(name, at, **fact)
    return event.model_copy(update={"linked_identities": LinkedIdentities.model_validate(linked)})


def with_consent(event: EventEnvelope, **consent: Any) -> EventEnvelope:
    return event.model_copy(update={"consent": Consent.model_validate(consent)})


async def updates_of(service: Service, customer: uuid.UUID, count: int) -> list[EventEnvelope]:
    async def probe() -> list[EventEnvelope]:
        found = await read_events(service.bootstrap, service.topic)
        return [e for e in named(found, EventName.CUSTOMER_UPDATED) if e.customer_id == customer]

    return await eventually(probe, lambda found: len(found) >= count)


async def test_a_lead_qualified_adds_the_email_to_a_customer_first_seen_by_handle(
    service: Service,
) -> None:
    customer = uuid.uuid4()
    handle = {"handles": {"ig": "ada.l"}}
    dm = linking(EventName.DM_STARTED, customer=customer, contact=handle, linked=handle)
    email = {"email": "ada@example.no"}
    lead = linking(
        EventName.LEAD_QUALIFIED,
        H,
        customer=customer,
        contact={**email, "name": "Ada L"},
        source="ads",
        linked={**email, **handle},
    )
    await produce(service.bootstrap, service.topic, [dm, lead])
    ada = await eventually(
        lambda: card(service, customer), lambda c: c.get("status") == "qualified"
    )
    assert (ada["email"], ada["name"], ada["handles"]) == (
        "ada@example.no",
        "Ada L",
        {"ig": "ada.l"},
    )
    [update] = await updates_of(service, customer, 1)
    assert update.cause_event_id == lead.event_id
    assert update.properties["changes"]["email"] == "ada@example.no"
    assert update.properties["changes"]["name"] == "Ada L"


async def test_another_email_in_a_later_event_does_not_change_the_card(service: Service) -> None:
    customer = uuid.uuid4()
    kari, k2 = {"email": "kari@example.no"}, {"email": "k2@example.no"}
    first = linking(EventName.DM_STARTED, customer=customer, contact=kari, linked=kari)
    other = linking(EventName.LEAD_QUALIFIED, H, customer=customer, contact=k2, linked=k2)
    await produce(service.bootstrap, service.topic, [first, other])
    kari = await eventually(
        lambda: card(service, customer), lambda c: c.get("status") == "qualified"
    )
    assert kari["email"] == "kari@example.no"


async def test_a_field_a_person_cleared_is_not_refilled(service: Service) -> None:
    customer = uuid.uuid4()
    email = {"email": "ola@example.no"}
    dm = linking(
        EventName.DM_STARTED, customer=customer, contact={**email, "name": "Ola"}, linked=email
    )
    await produce(service.bootstrap, service.topic, [dm])
    await eventually(lambda: card(service, customer), lambda c: c.get("email") is not None)
    cleared = await service.call(
        "PUT", f"/api/customers/{customer}", json={"email": None, "name": None}
    )
    assert cleared.status_code == 200, cleared.text
    later = linking(
        EventName.INVITE_SENT, H, customer=customer, contact={"name": "Ola N"}, linked=email
    )
    await produce(service.bootstrap, service.topic, [later])
    ola = await eventually(lambda: card(service, customer), lambda c: c.get("status") == "invited")
    assert (ola["email"], ola["name"]) == (None, None)


async def test_consent_follows_the_latest_fact_by_timestamp_in_any_arrival_order(
    service: Service,
) -> None:
    customer = uuid.uuid4()
    dm = with_consent(
        fact_event(EventName.DM_STARTED, customer=customer), messaging=True, marketing=True
    )
    unsubscribed = fact_event(EventName.UNSUBSCRIBED, 3 * H, customer=customer)
    # Sent after the opt-out, stamped before it: it must not opt the customer back in.
    late = with_consent(
        fact_event(EventName.MESSAGE_RECEIVED, H, customer=customer), messaging=True, email=True
    )
    await produce(service.bootstrap, service.topic, [dm, unsubscribed])
    await eventually(lambda: card(service, customer), lambda c: c.get("opted_out") is True)
    await produce(service.bootstrap, service.topic, [late])
    await eventually(
        lambda: card(service, customer), lambda c: (c.get("consent") or {}).get("email") is True
    )
    seen = await card(service, customer)
    assert seen["consent"] == {"messaging": False, "marketing": True, "email": True}
    assert seen["opted_out"] is True

    # A person's consent is a fact at the request time: later than every event so far.
    service.clock.set(T + 10 * H)
    put = await service.call(
        "PUT", f"/api/customers/{customer}", json={"consent": {"messaging": True}}
    )
    assert put.status_code == 200, put.text
    assert (put.json()["consent"]["messaging"], put.json()["opted_out"]) == (True, False)
    # An event stamped before the person's request, arriving after it, changes nothing.
    stale = with_consent(
        fact_event(EventName.MESSAGE_RECEIVED, 5 * H, customer=customer), messaging=False
    )
    newer = with_consent(
        fact_event(EventName.MESSAGE_RECEIVED, 12 * H, customer=customer), marketing=False
    )
    await produce(service.bootstrap, service.topic, [stale, newer])
    final = await eventually(
        lambda: card(service, customer),
        lambda c: (c.get("consent") or {}).get("marketing") is False,
    )
    assert final["consent"] == {"messaging": True, "marketing": False, "email": True}
    assert final["opted_out"] is False
