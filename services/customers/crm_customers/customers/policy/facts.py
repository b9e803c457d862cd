"""What facts from the topic make of a customer, decided without I/O: an unknown customer
named by a fact, and the next action when the NBA's recommendation changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_customers.customers.policy.customer import Customer
from crm_schemas.contact import Handles, Source
from crm_schemas.envelope import EventEnvelope
from crm_schemas.next_action import nba_step
from crm_schemas.system_properties import Recommendation


def customer_from_event(event: EventEnvelope) -> Customer:
    """An unknown customer named by a fact: who they are, as the envelope tells. Identities
    are those ingest linked to them for this event, when it names them (an identity another
    customer holds is not linked, so not shown); the consent is their history's."""
    assert event.customer_id is not None
    contact = event.contact
    linked = event.linked_identities
    identities = linked if linked is not None else contact
    handles = identities.handles if identities and identities.handles else Handles()
    return Customer(
        account_id=event.account_id,
        id=event.customer_id,
        name=contact.name if contact else None,
        email=identities.email if identities else None,
        phone=identities.phone if identities else None,
        handles=handles,
        source=event.source.value if event.source is not Source.SYSTEM else None,
        utm=event.utm,
        created_at=event.timestamp,
        updated_at=event.timestamp,
    )


@dataclass(frozen=True)
class Mirrored:
    """The customer after an NBA_CHANGED, and whether there is anything to save at all.

    Nothing is announced: NBA_CHANGED carries the NBA's title and due_at already, and whoever
    needs what the card shows folds the same rule (crm_schemas.next_action) over it.
    """

    customer: Customer
    to_save: bool


def nba_mirrored(customer: Customer, recommendation: Recommendation, at: datetime) -> Mirrored:
    """next_action and next_action_date follow the NBA unless a person's choice stands."""
    step = nba_step(recommendation, at)
    title, due = step.title, step.due
    shown = customer.next_action_state.after(step).shown
    updated = customer.model_copy(
        update={
            "nba_title": title,
            "nba_due_at": due,
            "next_action": shown.title,
            "next_action_date": shown.due,
        }
    )
    if (shown.title, shown.due) != (customer.next_action, customer.next_action_date):
        return Mirrored(updated.touched(at), to_save=True)
    return Mirrored(updated, to_save=(title, due) != (customer.nba_title, customer.nba_due_at))
