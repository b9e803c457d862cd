"""Pure decisions beside a person's changes: the NBA mirror (customers/policy/facts.py) and
a person's interactions (interactions/policy.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.facts import customer_from_event, nba_mirrored
from crm_customers.customers.policy.history import StoredHistory
from crm_customers.interactions import policy
from crm_customers.interactions.schemas import InteractionIn, InteractionPatch
from crm_schemas.catalog import EventName
from crm_schemas.causes import Command
from crm_schemas.system_properties import NbaChanged, Recommendation

from .events import T, fact_event, nba_changed

H = timedelta(hours=1)


def kari(**fields: object) -> Customer:
    return Customer.model_validate(
        {"account_id": "acme", "id": uuid.uuid4(), "created_at": T, "updated_at": T, **fields}
    )


def recommendation(customer: Customer, title: str, at: timedelta) -> Recommendation:
    event = nba_changed(customer.id, title, at)
    return NbaChanged.model_validate(event.properties).recommendation


def test_the_nba_is_shown_unless_a_person_s_choice_stands() -> None:
    customer = kari()
    mirrored = nba_mirrored(customer, recommendation(customer, "Rebook", H), T + H)
    assert (mirrored.customer.next_action, mirrored.to_save) == ("Rebook", True)
    assert mirrored.customer.next_action_date == T + H
    assert mirrored.customer.updated_at == T + H
    due = T + 48 * H
    chosen = kari(
        person_next_action="Call",
        person_next_action_date=due,
        next_action="Call",
        next_action_date=due,
    )
    kept = nba_mirrored(chosen, recommendation(chosen, "Rebook", H), T + H)
    assert (kept.customer.nba_title, kept.customer.next_action, kept.to_save) == (
        "Rebook",
        "Call",
        True,
    )
    assert kept.customer.updated_at == T


def test_an_unknown_customer_is_who_the_envelope_says() -> None:
    contact = {"name": "Kari", "email": "kari@example.no"}
    event = fact_event(EventName.DM_STARTED, H, contact=contact)
    new = customer_from_event(event)
    assert (new.id, new.name, new.email, new.source) == (
        event.customer_id,
        "Kari",
        contact["email"],
        "ig",
    )
    assert new.created_at == new.updated_at == event.timestamp


def test_logging_is_activity_unless_the_cause_was_seen_before() -> None:
    customer = kari()
    cause = Command("acme", "marketer-1", T + H, "key-1").cause("POST /x", EventName.STATUS_CHANGED)
    body = InteractionIn(customer_id=customer.id, type="call")
    logged = policy.logged(customer, StoredHistory(customer.history), cause, body)
    assert logged.interaction.occurred_at == T + H
    assert logged.entry is not None
    assert logged.customer.history.last_activity_at == T + H
    seen = StoredHistory(customer.history, known=frozenset({logged.event.event_id}))
    again = policy.logged(customer, seen, cause, body)
    assert (again.event, again.entry, again.customer) == (logged.event, None, customer)


def test_a_change_leaves_what_cannot_be_emptied() -> None:
    customer = kari()
    cause = Command("acme", "marketer-1", T).cause("POST /x", EventName.STATUS_CHANGED)
    body = InteractionIn(customer_id=customer.id, type="call", content="hi", completed=True)
    interaction = policy.logged(customer, StoredHistory(customer.history), cause, body).interaction
    patch = InteractionPatch.model_validate({"type": None, "completed": None, "content": None})
    changed = policy.changed(interaction, patch)
    assert (changed.type, changed.completed, changed.content) == (interaction.type, True, None)
