"""What the consumer does with facts from the topic and the NBA's recommendations: the
customers' pipeline state and next action, announced as events.

A batch holds the customers and facts it names (read together at its start, written together
at its end, see repository/batch_*.py) and the events it announces, written to the outbox
once at its end in its transaction: one insert, one NOTIFY and one processed-mark for the
batch instead of three round trips per event, which were the service's largest cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_customers.customers.announce import (
    customer_created,
    customer_updated,
    status_changed,
)
from crm_customers.customers.policy.card import filled_from_event
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.facts import customer_from_event, nba_mirrored
from crm_customers.customers.policy.history import Entry
from crm_customers.customers.repository import customers as repository
from crm_customers.customers.repository.batch_customers import BatchCustomers
from crm_customers.customers.repository.batch_facts import BatchFacts
from crm_customers.customers.service.history import evolved, with_entry
from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import Actor, CreationOrigin, NbaChanged
from crm_servicekit.clock import Clock
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue_applied

# Events that may be facts of a customer's history (apply_fact stores their entries).
FACT_NAMES = EXTERNAL_EVENTS | {EventName.STATUS_CHANGED}


@dataclass(frozen=True)
class Batch:
    """What applying one consumed batch shares: its transaction, the customers and facts it
    holds, the clock, and the events it announces at its end."""

    conn: Conn
    customers: BatchCustomers
    facts: BatchFacts
    clock: Clock
    out: list[EventEnvelope]

    def cause(self, event: EventEnvelope) -> Cause:
        return Cause.of_event(event, self.clock.now())

    async def hand_back(self) -> None:
        """Write what is held before code that writes the database directly."""
        await self.facts.hand_back()
        await self.customers.hand_back()


async def opened(
    conn: Conn, events: Sequence[EventEnvelope], clock: Clock, *, held_apart: frozenset[EventName]
) -> Batch:
    """A batch holding the customers its events name (but those of `held_apart`, which are
    written directly) and which of its facts are stored already."""
    batch = Batch(conn, BatchCustomers(conn), BatchFacts(conn), clock, out=[])
    await batch.customers.load(
        (e.account_id, e.customer_id)
        for e in events
        if e.customer_id is not None and e.event_name not in held_apart
    )
    await batch.facts.load(
        (e.account_id, e.customer_id, e.event_id)
        for e in events
        if e.customer_id is not None and e.event_name in FACT_NAMES
    )
    return batch


async def closed(batch: Batch, topic: str) -> None:
    """The batch's facts and customers written, and what it announces, in order."""
    await batch.facts.save()
    await batch.customers.save()
    await enqueue_applied(batch.conn, batch.out, topic)


async def apply_fact(batch: Batch, event: EventEnvelope) -> None:
    """One fact: stored, folded, and STATUS_CHANGED when the pipeline state really changed."""
    entry = Entry.of(event)
    if entry is None or event.customer_id is None:
        return
    cause = batch.cause(event)
    customer = await batch.customers.get(event.account_id, event.customer_id)
    if customer is None:
        if await _created_by(batch, event, entry, cause):
            return
        # Created by the API a moment ago: the fact applies to that customer.
        customer = await batch.customers.reread(event.account_id, event.customer_id)
        assert customer is not None
    updated = await _with_fact(batch, customer, entry)
    if updated is None:
        return  # stored already: a duplicate changes nothing
    updated, card_changes = filled_from_event(updated, event)
    if updated.history.consent != customer.history.consent:
        card_changes["consent"] = updated.history.consent
    batch.customers.put(updated)
    if card_changes:
        batch.out.append(customer_updated(cause, event.account_id, customer.id, card_changes))
    # A person's STATUS_CHANGED (met in a rebuild) is its own announcement.
    if updated.state != customer.state and event.event_name is not EventName.STATUS_CHANGED:
        change = status_changed(
            cause, event.account_id, customer.id, customer.state, updated.state, actor=Actor.EVENT
        )
        batch.out.append(change)


async def _created_by(batch: Batch, event: EventEnvelope, entry: Entry, cause: Cause) -> bool:
    """An unknown customer is created at the stage the fact implies; False if the id is taken."""
    new = customer_from_event(event)
    if not await repository.insert(batch.conn, new):
        return False
    created = await _with_fact(batch, new, entry)
    assert created is not None  # a new customer has no stored entries
    batch.customers.put(created)
    emitted = [
        customer_created(
            cause,
            event.account_id,
            created.id,
            created.snapshot(),
            created.state,
            created.created_at,
            CreationOrigin.EVENT,
        )
    ]
    if created.state != new.state:
        emitted.append(
            status_changed(
                cause, event.account_id, created.id, new.state, created.state, actor=Actor.EVENT
            )
        )
    batch.out.extend(emitted)
    return True


async def _with_fact(batch: Batch, customer: Customer, entry: Entry) -> Customer | None:
    """`with_entry` for the batch: None when the fact is stored already; else it is written
    with the batch's other facts at the batch's end."""
    if not batch.facts.trusted:
        return await with_entry(batch.conn, customer, entry)
    account_id, customer_id = customer.account_id, customer.id
    if batch.facts.is_stored(account_id, customer_id, entry.event_id):
        return None
    batch.facts.add(account_id, customer_id, entry)
    unwritten = batch.facts.unwritten(account_id, customer_id)
    return await evolved(batch.conn, customer, entry, unwritten)


async def mirror_nba(batch: Batch, event: EventEnvelope) -> None:
    """next_action and next_action_date follow the NBA unless a person's choice stands; the
    card changes without an announcement (NBA_CHANGED is it, see policy/facts.py)."""
    assert event.customer_id is not None
    customer = await batch.customers.get(event.account_id, event.customer_id)
    if customer is None:
        return
    recommendation = NbaChanged.model_validate(event.properties).recommendation
    mirrored = nba_mirrored(customer, recommendation, event.timestamp)
    if mirrored.to_save:
        batch.customers.put(mirrored.customer)
