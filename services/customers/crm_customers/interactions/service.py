"""A person's interactions with a customer: log, change, delete (each announced in full),
and their restoring in a rebuild. Each reads once, decides with policy.py, writes once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_customers.customers.announce import event_id_of
from crm_customers.customers.policy.changes import ByPerson
from crm_customers.customers.policy.history import Entry
from crm_customers.customers.repository import customers as customers_repository
from crm_customers.customers.service.history import with_entry
from crm_customers.customers.service.person import Outlets
from crm_customers.interactions import policy, repository
from crm_customers.interactions.announce import interaction_event
from crm_customers.interactions.schemas import InteractionIn, InteractionPatch
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import Interaction, InteractionEvent
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue_applied
from crm_servicekit.problems import FieldError, NotFound, Unprocessable


async def log_interaction(
    conn: Conn, outlets: Outlets, person: ByPerson, body: InteractionIn
) -> Interaction:
    """Logged, and activity of its customer at its occurred_at."""
    cause = person.cause
    entry_id = event_id_of(cause, person.account_id, EventName.INTERACTION_LOGGED)
    found = await customers_repository.read_for_change(
        conn, person.account_id, body.customer_id, cause.timestamp, [entry_id]
    )
    if found is None:  # another account's, deleted, or never made: named as ingest names it
        raise Unprocessable(
            "Unknown customer.", errors=[FieldError(["body", "customer_id"], "unknown customer")]
        )
    customer, stored = found
    logged = policy.logged(customer, stored, cause, body)
    await repository.upsert(conn, person.account_id, logged.interaction, cause.timestamp)
    if logged.entry is not None:
        await customers_repository.write_change(conn, logged.customer, [logged.entry])
    await enqueue_applied(conn, [logged.event], outlets.topic)
    return logged.interaction


async def change_interaction(
    conn: Conn, outlets: Outlets, person: ByPerson, interaction_id: UUID, body: InteractionPatch
) -> Interaction:
    interaction = await _locked(conn, person.account_id, interaction_id)
    changed = policy.changed(interaction, body)
    if changed == interaction:
        return interaction
    event = interaction_event(
        EventName.INTERACTION_UPDATED, person.cause, person.account_id, changed
    )
    await repository.upsert(conn, person.account_id, changed, person.cause.timestamp)
    await enqueue_applied(conn, [event], outlets.topic)
    return changed


async def delete_interaction(
    conn: Conn, outlets: Outlets, person: ByPerson, interaction_id: UUID
) -> None:
    interaction = await _locked(conn, person.account_id, interaction_id)
    event = interaction_event(
        EventName.INTERACTION_DELETED, person.cause, person.account_id, interaction
    )
    await repository.delete(conn, person.account_id, interaction_id)
    await enqueue_applied(conn, [event], outlets.topic)


async def restore_interaction(conn: Conn, event: EventEnvelope) -> None:
    """A rebuild meets this service's INTERACTION_* and restores what they carry."""
    interaction = InteractionEvent.model_validate(event.properties).interaction
    if event.event_name is EventName.INTERACTION_DELETED:
        await repository.delete(conn, event.account_id, interaction.id)
        return
    await repository.upsert(conn, event.account_id, interaction, event.timestamp)
    if event.event_name is not EventName.INTERACTION_LOGGED:
        return
    customer = await customers_repository.get(
        conn, event.account_id, interaction.customer_id, lock=True
    )
    if customer is None:
        return
    entry = Entry.of_interaction(event.event_id, event.timestamp, interaction.occurred_at)
    logged = await with_entry(conn, customer, entry)
    if logged is not None:
        await customers_repository.save(conn, logged)


async def _locked(conn: Conn, account_id: str, interaction_id: UUID) -> Interaction:
    interaction = await repository.get(conn, account_id, interaction_id)
    if interaction is None:
        raise NotFound("No such interaction.")
    return interaction


async def interaction(conn: Conn, account_id: str, interaction_id: UUID) -> Interaction:
    found = await repository.get(conn, account_id, interaction_id)
    if found is None:
        raise NotFound("No such interaction.")
    return found


async def of_customer(
    conn: Conn, account_id: str, customer_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> list[Interaction]:
    """Newest first; up to limit + 1 (an id this account does not have gives none)."""
    return await repository.of_customer(conn, account_id, customer_id, after, limit)


async def upcoming(
    conn: Conn, account_id: str, as_of: datetime, after: tuple[datetime, UUID] | None, limit: int
) -> list[Interaction]:
    """Not completed, scheduled at or after as_of, soonest first; up to limit + 1."""
    return await repository.upcoming(conn, account_id, as_of, after, limit)
