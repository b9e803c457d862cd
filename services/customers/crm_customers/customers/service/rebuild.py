"""Rebuilding from the topic: the customers aggregate's own events, applied to an empty
database.

A live service never gets here for the events it emitted (announce.py counts them as
processed); a rebuild meets them in topic order and restores what they carry.
"""

from __future__ import annotations

from typing import Any

from crm_customers.customers.policy.card import set_on_creation
from crm_customers.customers.policy.customer import MODEL_OWN_FIELDS, Customer
from crm_customers.customers.policy.history import Entry, creation_entry_of
from crm_customers.customers.repository import customers as repository
from crm_customers.customers.service.history import with_entry
from crm_schemas.contact import Consent
from crm_schemas.envelope import EventEnvelope
from crm_schemas.next_action import NextActionStep, StepKind
from crm_schemas.system_properties import CustomerCreated, CustomerUpdated
from crm_servicekit.connection import Conn


async def restore_created(conn: Conn, event: EventEnvelope) -> None:
    assert event.customer_id is not None
    created = CustomerCreated.model_validate(event.properties)
    snapshot = created.customer
    customer = Customer.model_validate(
        {
            **snapshot.model_dump(include=set(MODEL_OWN_FIELDS), exclude_none=True),
            "account_id": event.account_id,
            "id": event.customer_id,
            # A next action given at creation is a person's.
            "person_next_action": snapshot.next_action,
            "person_next_action_date": snapshot.next_action_date,
            "next_action": snapshot.next_action,
            "next_action_date": snapshot.next_action_date,
            "created_at": created.created_at,
            "updated_at": created.created_at,
        }
    )
    if event.actor_id is not None:  # a person's creation (a fact's has no actor)
        customer = customer.model_copy(update={"person_fields": set_on_creation(customer)})
    if not await repository.insert(conn, customer):
        # A fact about this customer came first on the topic (ingest published it before our
        # relay published the creation): what the person entered completes that customer.
        found = await repository.get(conn, event.account_id, event.customer_id, lock=True)
        assert found is not None
        customer = _completed(found, customer)
    entry = creation_entry_of(event, consent=snapshot.consent)
    restored = await with_entry(conn, customer, entry)
    if restored is not None:
        await repository.save(conn, restored)


async def restore_updated(conn: Conn, event: EventEnvelope) -> None:
    assert event.customer_id is not None
    changes = CustomerUpdated.model_validate(event.properties).changes
    customer = await repository.get(conn, event.account_id, event.customer_id, lock=True)
    if customer is None:
        return
    # Consent is their history's: the card's value is folded, a person's fact recorded.
    update: dict[str, Any] = {k: v for k, v in changes.items() if k in MODEL_OWN_FIELDS}
    if "person_fields" in changes:
        update["person_fields"] = changes["person_fields"]
    if "person_next_action" in changes:  # a person's PUT (the mirror follows NBA_CHANGED)
        person = Customer.model_validate(
            {
                **customer.model_dump(),
                "person_next_action": changes["person_next_action"],
                "person_next_action_date": changes.get("person_next_action_date"),
            }
        )
        step = NextActionStep(
            StepKind.PERSON,
            person.person_next_action,
            person.person_next_action_date,
            event.timestamp,
        )
        shown = customer.next_action_state.after(step).shown
        update |= {
            "person_next_action": person.person_next_action,
            "person_next_action_date": person.person_next_action_date,
            "next_action": shown.title,
            "next_action_date": shown.due,
        }
    restored = Customer.model_validate({**customer.model_dump(), **update})
    if "person_consent" in changes:
        given = Consent.model_validate(changes["person_consent"])
        entry = Entry.of_consent(event.event_id, event.timestamp, given)
        restored = await with_entry(conn, restored, entry) or restored
    await repository.save(conn, restored.touched(event.timestamp))


async def restore_deleted(conn: Conn, event: EventEnvelope) -> None:
    """The runtime records the tombstone of a consumed CUSTOMER_DELETED; the rows go here."""
    assert event.customer_id is not None
    await repository.delete(conn, event.account_id, event.customer_id)


def _completed(found: Customer, entered: Customer) -> Customer:
    """The customer made from facts, with the fields the person entered where it has none."""
    mine = found.model_dump()
    theirs = entered.model_dump()
    names = (*MODEL_OWN_FIELDS, "person_next_action", "person_next_action_date")
    filled = {k: theirs[k] for k in names}
    merged = {k: v if _blank(mine.get(k)) else mine[k] for k, v in filled.items()}
    merged["person_fields"] = found.person_fields | entered.person_fields
    if found.next_action is None:
        merged |= {"next_action": entered.next_action, "next_action_date": entered.next_action_date}
    merged["created_at"] = entered.created_at  # as the live service has it: the request time
    return Customer.model_validate({**mine, **merged})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and not any(value.values()))
