"""The consumer: facts from the topic become customers' pipeline state, announced as events.

Besides the facts from outside it reads NBA_CHANGED (the next-action mirror) and, for a
rebuild from the topic, this service's own events (a live service has counted those as
processed when it emitted them; see announce.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_customers import repository
from crm_customers.announce import Cause, announce
from crm_customers.batch_customers import BatchCustomers
from crm_customers.batch_facts import BatchFacts
from crm_customers.evolution import evolved, with_entry
from crm_customers.history import Entry
from crm_customers.policy import shown_next_action
from crm_customers.records import Customer
from crm_customers.restore import restore_created, restore_interaction, restore_updated
from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.contact import Handles, Source
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import Actor, CustomerCreated, NbaChanged
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.clock import Clock
from crm_servicekit.connection import Conn

E = EventName
# What the consumer reads: facts, the NBA for the mirror, and its own events for rebuilds.
WANTED: frozenset[str] = frozenset(
    {name.value for name in EXTERNAL_EVENTS}
    | {
        E.NBA_CHANGED.value,
        E.CUSTOMER_CREATED.value,
        E.CUSTOMER_UPDATED.value,
        E.CUSTOMER_DELETED.value,
        E.STATUS_CHANGED.value,
        E.INTERACTION_LOGGED.value,
        E.INTERACTION_UPDATED.value,
        E.INTERACTION_DELETED.value,
    }
)


def batch_handler(clock: Clock, topic: str) -> BatchHandler:
    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        # What the batch announces, in order, goes to the outbox once at its end (in its
        # transaction): one insert, one NOTIFY and one processed-mark for the batch instead
        # of three round trips per event, which were the service's largest cost under load.
        batch = Batch(conn, BatchCustomers(conn), BatchFacts(conn), clock, out=[])
        await batch.customers.load(
            (e.account_id, e.customer_id)
            for e in events
            if e.customer_id is not None and e.event_name not in _WRITTEN_DIRECTLY
        )
        await batch.facts.load(
            (e.account_id, e.customer_id, e.event_id)
            for e in events
            if e.customer_id is not None and e.event_name in _FACT_NAMES
        )
        for event in events:
            await apply_event(batch, event)
        await batch.facts.save()
        await batch.customers.save()
        await announce(conn, batch.out, topic)

    return handle


# Events that may be facts of a customer's history (apply_fact stores their entries).
_FACT_NAMES = EXTERNAL_EVENTS | {E.STATUS_CHANGED}

# Events whose handling writes customers' rows itself (deletion, the rebuild's restores).
_WRITTEN_DIRECTLY = frozenset(
    {
        E.CUSTOMER_DELETED,
        E.CUSTOMER_CREATED,
        E.CUSTOMER_UPDATED,
        E.INTERACTION_LOGGED,
        E.INTERACTION_UPDATED,
        E.INTERACTION_DELETED,
    }
)


@dataclass(frozen=True)
class Batch:
    """What applying one consumed batch shares: its transaction, the customers it holds, the
    clock, and the events it announces at its end."""

    conn: Conn
    customers: BatchCustomers
    facts: BatchFacts
    clock: Clock
    out: list[EventEnvelope]

    def cause(self, event: EventEnvelope) -> Cause:
        return Cause(event.event_id, event.event_name.value, event.timestamp, self.clock.now())


async def apply_event(batch: Batch, event: EventEnvelope) -> None:
    if event.customer_id is None:
        return
    conn = batch.conn
    name = event.event_name
    if name in _WRITTEN_DIRECTLY:
        await batch.facts.hand_back()
        await batch.customers.hand_back()
    if name is E.NBA_CHANGED:
        await mirror_nba(batch, event)
    elif name is E.CUSTOMER_DELETED:
        await repository.delete(conn, event.account_id, event.customer_id)
    elif name is E.CUSTOMER_CREATED:
        await restore_created(conn, event)
    elif name is E.CUSTOMER_UPDATED:
        await restore_updated(conn, event)
    elif name in (E.INTERACTION_LOGGED, E.INTERACTION_UPDATED, E.INTERACTION_DELETED):
        await restore_interaction(conn, event)
    else:
        await apply_fact(batch, event)


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
    batch.customers.put(updated)
    # A person's STATUS_CHANGED (met in a rebuild) is its own announcement.
    if updated.state != customer.state and event.event_name is not E.STATUS_CHANGED:
        change = cause.status_changed(
            event.account_id, customer.id, customer.state, updated.state, actor=Actor.EVENT
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
    snapshot = CustomerCreated(
        customer=created.snapshot(), state=created.state, created_at=created.created_at
    )
    emitted = [cause.event(E.CUSTOMER_CREATED, event.account_id, created.id, snapshot)]
    if created.state != new.state:
        emitted.append(
            cause.status_changed(
                event.account_id, created.id, new.state, created.state, actor=Actor.EVENT
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


def customer_from_event(event: EventEnvelope) -> Customer:
    """An unknown customer named by a fact: who they are, as the envelope tells."""
    assert event.customer_id is not None
    contact = event.contact
    handles = contact.handles if contact and contact.handles else Handles()
    return Customer(
        account_id=event.account_id,
        id=event.customer_id,
        name=contact.name if contact else None,
        email=contact.email if contact else None,
        phone=contact.phone if contact else None,
        handles=handles,
        source=event.source.value if event.source is not Source.SYSTEM else None,
        consent=event.consent,
        utm=event.utm,
        created_at=event.timestamp,
        updated_at=event.timestamp,
    )


async def mirror_nba(batch: Batch, event: EventEnvelope) -> None:
    """next_action and next_action_date follow the NBA unless a person's choice stands."""
    assert event.customer_id is not None
    customer = await batch.customers.get(event.account_id, event.customer_id)
    if customer is None:
        return
    recommendation = NbaChanged.model_validate(event.properties).recommendation
    has_action = recommendation.action != "none"
    title = recommendation.title if has_action else None
    due = recommendation.due_at if has_action else None
    shown = shown_next_action(customer.person_action, title, due, as_of=event.timestamp)
    updated = customer.model_copy(
        update={
            "nba_title": title,
            "nba_due_at": due,
            "next_action": shown.title,
            "next_action_date": shown.due,
        }
    )
    changed = (shown.title, shown.due) != (customer.next_action, customer.next_action_date)
    if changed:
        updated = updated.touched(event.timestamp)
    if changed or (title, due) != (customer.nba_title, customer.nba_due_at):
        batch.customers.put(updated)
    if changed:
        cause = batch.cause(event)
        changes = {
            "next_action": shown.title,
            "next_action_date": shown.due.isoformat() if shown.due else None,
            "next_action_by": "person" if shown.by_person else "nba",
        }
        batch.out.append(
            cause.event(E.CUSTOMER_UPDATED, event.account_id, customer.id, {"changes": changes})
        )
