"""A person's interactions, decided without I/O: the interaction logged (and the activity it
is for its customer), or changed."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.entries import with_new_entry
from crm_customers.customers.policy.history import Entry, StoredHistory
from crm_customers.interactions.announce import interaction_event
from crm_customers.interactions.schemas import InteractionIn, InteractionPatch
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import Interaction

# These cannot be emptied: null in a change leaves them as they are.
_REQUIRED = ("type", "occurred_at", "completed")


@dataclass(frozen=True)
class Logged:
    """A logged interaction, its INTERACTION_LOGGED, and its customer with the activity
    entry; no entry when the cause was seen before (its activity is stored already)."""

    interaction: Interaction
    event: EventEnvelope
    customer: Customer
    entry: Entry | None


def logged(customer: Customer, stored: StoredHistory, cause: Cause, body: InteractionIn) -> Logged:
    """A new interaction (without occurred_at it happened now), activity at its occurred_at."""
    now = cause.timestamp
    interaction = Interaction(
        id=UUID(cause.event_id),
        customer_id=customer.id,
        type=body.type,
        content=body.content,
        occurred_at=body.occurred_at or now,
        scheduled_for=body.scheduled_for,
        completed=body.completed,
    )
    event = interaction_event(EventName.INTERACTION_LOGGED, cause, customer.account_id, interaction)
    if event.event_id in stored.known:
        return Logged(interaction, event, customer, None)
    entry = Entry.of_interaction(event.event_id, now, interaction.occurred_at)
    return Logged(interaction, event, with_new_entry(customer, entry, stored, [entry]), entry)


def changed(interaction: Interaction, body: InteractionPatch) -> Interaction:
    """The interaction with the fields the person gave."""
    given = body.model_dump(include=body.model_fields_set)
    for required in _REQUIRED:
        if given.get(required, ...) is None:
            given.pop(required)
    return interaction.model_copy(update=given)
