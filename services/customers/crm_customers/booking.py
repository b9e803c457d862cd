"""A person's PUT of the booking becomes the matching booking event, as a webhook would send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_customers.api_models import BookingIn
from crm_customers.policy import BOOKING_EVENTS
from crm_customers.records import Customer
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
from crm_schemas.ids import system_event_id
from crm_schemas.pipeline import Booking, BookingState

if TYPE_CHECKING:
    from crm_customers.customer_service import Action


def booking_event(action: Action, customer: Customer, wanted: BookingIn) -> EventEnvelope | None:
    """MEETING_BOOKED, MEETING_HELD, NO_SHOW or MEETING_CANCELED; None when nothing changes.

    Source `manual` (a person's button) rather than `system`: it is a fact like any other,
    and every service folds it as one.
    """
    state = BookingState(wanted.state)
    booking = Booking(
        state=state,
        time=wanted.time if wanted.time is not None else customer.state.booking.time,
        booking_id=wanted.booking_id or customer.state.booking.booking_id,
    )
    if booking == customer.state.booking:
        return None  # writing back what was read moves nothing
    name = BOOKING_EVENTS[state]
    properties: dict[str, Any] = {"booking_id": booking.booking_id}
    if state is BookingState.BOOKED:
        properties["booking_time"] = booking.time
    cause = action.cause
    return EventEnvelope(
        event_name=name,
        event_id=str(system_event_id(action.account_id, cause.event_id, name.value)),
        timestamp=cause.timestamp,
        account_id=action.account_id,
        customer_id=customer.id,
        source=Source.MANUAL,
        properties={k: v for k, v in properties.items() if v is not None},
        received_at=cause.received_at,
        producer="customers",
        cause_event_id=cause.event_id,
        actor_id=cause.actor_id,
    )
