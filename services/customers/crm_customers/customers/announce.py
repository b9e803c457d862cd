"""What the customers aggregate emits: its events, built with deterministic ids from their
cause (pure; the use cases write them to the outbox in the transaction of their change)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
from crm_schemas.ids import system_event_id
from crm_schemas.pipeline import Booking, BookingState, PipelineState
from crm_schemas.system_properties import (
    Actor,
    CreationOrigin,
    CustomerCreated,
    CustomerDeleted,
    CustomerSnapshot,
    StatusChanged,
)

PRODUCER = "customers"

# The event a person's PUT of a booking state announces, so rules react as to a webhook.
BOOKING_EVENTS: dict[BookingState, EventName] = {
    BookingState.BOOKED: EventName.MEETING_BOOKED,
    BookingState.HELD: EventName.MEETING_HELD,
    BookingState.NO_SHOW: EventName.NO_SHOW,
    BookingState.CANCELED: EventName.MEETING_CANCELED,
}


def event_id_of(cause: Cause, account_id: str, name: EventName) -> str:
    """The id the event `name` of this cause gets (its entry's id, when it is one)."""
    return str(system_event_id(account_id, cause.event_id, name.value))


def customer_created(
    cause: Cause,
    account_id: str,
    customer_id: UUID,
    snapshot: CustomerSnapshot,
    state: PipelineState,
    created_at: datetime,
    origin: CreationOrigin,
) -> EventEnvelope:
    created = CustomerCreated(customer=snapshot, state=state, created_at=created_at, origin=origin)
    return cause.event(
        EventName.CUSTOMER_CREATED,
        producer=PRODUCER,
        account_id=account_id,
        customer_id=customer_id,
        properties=created,
    )


def customer_updated(
    cause: Cause, account_id: str, customer_id: UUID, changes: Mapping[str, Any]
) -> EventEnvelope:
    """CUSTOMER_UPDATED with the changed fields as JSON values (times in ISO 8601)."""
    encoded = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in changes.items()}
    return cause.event(
        EventName.CUSTOMER_UPDATED,
        producer=PRODUCER,
        account_id=account_id,
        customer_id=customer_id,
        properties={"changes": encoded},
    )


def customer_deleted(cause: Cause, account_id: str, customer_id: UUID) -> EventEnvelope:
    return cause.event(
        EventName.CUSTOMER_DELETED,
        producer=PRODUCER,
        account_id=account_id,
        customer_id=customer_id,
        properties=CustomerDeleted(),
    )


def status_changed(
    cause: Cause,
    account_id: str,
    customer_id: UUID,
    before: PipelineState,
    after: PipelineState,
    *,
    actor: Actor,
    reason: str | None = None,
) -> EventEnvelope:
    """STATUS_CHANGED naming its cause (id and name) and who moved the customer."""
    change = StatusChanged.model_validate(
        {
            "from": before,
            "to": after,
            "cause_event_id": cause.event_id,
            "cause_event_name": cause.event_name,
            "actor": actor,
            "actor_id": cause.actor_id,
            "reason": reason,
        }
    )
    return cause.event(
        EventName.STATUS_CHANGED,
        producer=PRODUCER,
        account_id=account_id,
        customer_id=customer_id,
        properties=change,
    )


def booking_fact(
    cause: Cause, account_id: str, customer_id: UUID, booking: Booking
) -> EventEnvelope:
    """MEETING_BOOKED, MEETING_HELD, NO_SHOW or MEETING_CANCELED for a person's booking PUT.

    Source `manual` (a person's button) rather than `system`: it is a fact like any other,
    and every service folds it as one.
    """
    name = BOOKING_EVENTS[booking.state]
    properties: dict[str, Any] = {"booking_id": booking.booking_id}
    if booking.state is BookingState.BOOKED:
        properties["booking_time"] = booking.time
    return EventEnvelope(
        event_name=name,
        event_id=event_id_of(cause, account_id, name),
        timestamp=cause.timestamp,
        account_id=account_id,
        customer_id=customer_id,
        source=Source.MANUAL,
        properties={k: v for k, v in properties.items() if v is not None},
        received_at=cause.received_at,
        producer=PRODUCER,
        cause_event_id=cause.event_id,
        actor_id=cause.actor_id,
    )


def caused_by_fact(fact: EventEnvelope, person: Cause) -> Cause:
    """The cause of what a person's booking fact changes: the fact, on the person's behalf."""
    return Cause(
        fact.event_id, fact.event_name.value, fact.timestamp, person.received_at, person.actor_id
    )
