"""What a person's PUT sets as the booking: its `booking`, or the booking a status term
stands for (Booked, No-Show, Held; Qualified on a customer shown as Booked or No-Show
cancels), which then acts exactly as that booking PUT."""

from __future__ import annotations

from crm_customers.customers.policy.fields import FieldRefused
from crm_customers.customers.policy.moves import booking_of_term
from crm_customers.customers.schemas import CustomerPatch
from crm_schemas.pipeline import Booking, BookingState, PipelineState
from crm_schemas.vocabulary import Vocabulary

_STATE_NEEDED = "required unless status is a term that names a booking (Booked, No-Show, Held)"


def booking_shape(body: CustomerPatch, vocabulary: Vocabulary | None) -> None:
    """A `booking` without its state needs a status term that may name one (checked before
    the customer is read; which term names one is known once the state is read)."""
    stateless = body.booking is not None and body.booking.state is None
    if stateless and (body.status is None or vocabulary is None):
        raise FieldRefused(("body", "booking", "state"), _STATE_NEEDED)


def booking_asked(
    current: PipelineState, body: CustomerPatch, vocabulary: Vocabulary | None
) -> Booking | None:
    """The booking a PUT sets: its `booking`, or the one its status term stands for, which
    acts as that booking PUT (its time and booking_id taken from `booking`)."""
    given = body.booking
    named = None
    if body.status is not None:
        named = booking_of_term(current, body.status, vocabulary)
    if named is None:
        if given is None:
            return None
        if given.state is None:
            raise FieldRefused(("body", "booking", "state"), _STATE_NEEDED)
        return Booking(
            state=BookingState(given.state), time=given.time, booking_id=given.booking_id
        )
    if given is not None and given.state not in (None, named.value):
        raise FieldRefused(
            ("body", "booking", "state"), f"status {body.status!r} stands for booking {named}"
        )
    time = given.time if given is not None else None
    if named is BookingState.BOOKED and time is None:
        raise FieldRefused(("body", "booking", "time"), "a booked meeting needs its time")
    return Booking(state=named, time=time, booking_id=given.booking_id if given else None)
