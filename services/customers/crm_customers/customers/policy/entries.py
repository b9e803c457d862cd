"""The entries a person's change adds to a customer's history (a move, a booking fact)
and the customer after each: on top, or re-folded when late; one stored already (a cause
repeated) changes nothing."""

from __future__ import annotations

from collections.abc import Sequence

from crm_customers.customers.announce import (
    BOOKING_EVENTS,
    booking_fact,
    caused_by_fact,
    event_id_of,
    status_changed,
)
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.history import (
    Entry,
    StoredHistory,
    person_move_entry,
    refolded,
)
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.contact import Consent
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Booking, PipelineState
from crm_schemas.system_properties import Actor


def entry_ids(cause: Cause, account_id: str) -> tuple[str, ...]:
    """The ids of the entries a person's move or booking fact would add: read with the
    customer, to tell whether they are stored already. Which booking fact a request makes
    may depend on the state read (a status term standing for one), so all are asked."""
    names = (EventName.STATUS_CHANGED, *BOOKING_EVENTS.values())
    return tuple(event_id_of(cause, account_id, name) for name in names)


def with_new_entry(
    customer: Customer, entry: Entry, stored: StoredHistory, added: Sequence[Entry]
) -> Customer:
    """The customer after one more entry of this change (`added` holds it and those before
    it); a late one re-folds the stored entries with the change's."""
    if customer.history.is_late(entry):
        history = refolded(stored, added)
    else:
        history = customer.history.then(entry)
    return customer.model_copy(update={"history": history}).touched(entry.timestamp)


def person_move(
    customer: Customer,
    target: PipelineState,
    reason: str | None,
    cause: Cause,
    stored: StoredHistory,
    added: list[Entry],
) -> tuple[Customer, list[EventEnvelope]]:
    """The move stored under the id of the STATUS_CHANGED that announces it; the fold of the
    customer's entries decides where they end up."""
    before = customer.state
    account_id = customer.account_id
    event = status_changed(
        cause, account_id, customer.id, before, target, actor=Actor.PERSON, reason=reason
    )
    if event.event_id in stored.known:
        return customer, []
    entry = person_move_entry(event.event_id, cause.timestamp, before, target)
    added.append(entry)  # stored even when the fold leaves the state as it was
    moved = with_new_entry(customer, entry, stored, added)
    if moved.state == before:
        return customer, []
    if moved.state != target:
        # A fact later than the request time: the fold decides; announce what it gives.
        event = status_changed(
            cause, account_id, customer.id, before, moved.state, actor=Actor.PERSON, reason=reason
        )
    return moved, [event]


def booked(
    customer: Customer,
    wanted: Booking,
    cause: Cause,
    stored: StoredHistory,
    added: list[Entry],
) -> tuple[Customer, list[EventEnvelope]]:
    """A person's booking PUT is the matching booking fact, as a webhook would send it;
    writing back what was read moves nothing. A time or booking_id not given is kept."""
    booking = Booking(
        state=wanted.state,
        time=wanted.time if wanted.time is not None else customer.state.booking.time,
        booking_id=wanted.booking_id or customer.state.booking.booking_id,
    )
    if booking == customer.state.booking:
        return customer, []
    fact = booking_fact(cause, customer.account_id, customer.id, booking)
    if fact.event_id in stored.known:
        return customer, []
    entry = Entry.of(fact)
    assert entry is not None
    added.append(entry)
    before = customer.state
    booked = with_new_entry(customer, entry, stored, added)
    events = [fact]
    if booked.state != before:
        events.append(
            status_changed(
                caused_by_fact(fact, cause),
                customer.account_id,
                customer.id,
                before,
                booked.state,
                actor=Actor.EVENT,
            )
        )
    return booked, events


def consent_given(
    customer: Customer,
    target: PipelineState,
    consent: Consent,
    cause: Cause,
    stored: StoredHistory,
    added: list[Entry],
) -> tuple[Customer, PipelineState]:
    """A person's PUT of consent is a consent fact at the request time (stored under the id
    of the CUSTOMER_UPDATED that announces it), and the state the person moves to: giving
    `messaging` opts the customer out or back in, so the card never shows `messaging: true`
    for an opted-out customer."""
    entry_id = event_id_of(cause, customer.account_id, EventName.CUSTOMER_UPDATED)
    entry = Entry.of_consent(entry_id, cause.timestamp, consent)
    added.append(entry)
    after = with_new_entry(customer, entry, stored, added)
    if consent.messaging is not None:
        target = target.with_changes(opted_out=not consent.messaging)
    return after, target
