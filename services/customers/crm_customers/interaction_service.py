"""A person's interactions with a customer: log, change, delete (each announced in full)."""

from __future__ import annotations

from uuid import UUID

from crm_customers import interaction_repository, repository
from crm_customers.announce import announce
from crm_customers.api_models import InteractionIn, InteractionPatch
from crm_customers.customer_service import Action, locked_customer
from crm_customers.evolution import with_entry
from crm_customers.history import Entry
from crm_schemas.catalog import EventName
from crm_schemas.system_properties import Interaction, InteractionEvent
from crm_servicekit.connection import Conn
from crm_servicekit.problems import NotFound

E = EventName


async def log_interaction(conn: Conn, action: Action, body: InteractionIn) -> Interaction:
    customer = await locked_customer(conn, action.account_id, body.customer_id)
    now = action.cause.timestamp
    interaction = Interaction(
        id=UUID(action.cause.event_id),
        customer_id=customer.id,
        type=body.type,
        content=body.content,
        occurred_at=body.occurred_at or now,
        scheduled_for=body.scheduled_for,
        completed=body.completed,
    )
    await interaction_repository.upsert(conn, action.account_id, interaction, now)
    event = action.cause.event(
        E.INTERACTION_LOGGED,
        action.account_id,
        customer.id,
        InteractionEvent(interaction=interaction),
    )
    # A logged interaction is activity at its occurred_at.
    entry = Entry.of_interaction(event.event_id, now, interaction.occurred_at)
    logged = await with_entry(conn, customer, entry)
    if logged is not None:
        await repository.save(conn, logged)
    await announce(conn, [event], action.topic)
    return interaction


async def _locked(conn: Conn, account_id: str, interaction_id: UUID) -> Interaction:
    interaction = await interaction_repository.get(conn, account_id, interaction_id)
    if interaction is None:
        raise NotFound("No such interaction.")
    return interaction


async def change_interaction(
    conn: Conn, action: Action, interaction_id: UUID, body: InteractionPatch
) -> Interaction:
    interaction = await _locked(conn, action.account_id, interaction_id)
    given = body.model_dump(include=body.model_fields_set)
    for required in ("type", "occurred_at", "completed"):
        if given.get(required, ...) is None:
            given.pop(required)  # these cannot be emptied; null leaves them as they are
    changed = interaction.model_copy(update=given)
    if changed == interaction:
        return interaction
    await interaction_repository.upsert(conn, action.account_id, changed, action.cause.timestamp)
    event = action.cause.event(
        E.INTERACTION_UPDATED,
        action.account_id,
        changed.customer_id,
        InteractionEvent(interaction=changed),
    )
    await announce(conn, [event], action.topic)
    return changed


async def delete_interaction(conn: Conn, action: Action, interaction_id: UUID) -> None:
    interaction = await _locked(conn, action.account_id, interaction_id)
    await interaction_repository.delete(conn, action.account_id, interaction_id)
    event = action.cause.event(
        E.INTERACTION_DELETED,
        action.account_id,
        interaction.customer_id,
        InteractionEvent(interaction=interaction),
    )
    await announce(conn, [event], action.topic)
