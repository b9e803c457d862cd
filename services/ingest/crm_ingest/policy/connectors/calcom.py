"""Cal.com's webhook deliveries as items (pure).

A delivery is `{"triggerEvent", "createdAt", "payload"}` (`createdAt` is when the webhook
fired). The booking triggers carry the booking: `uid`, `startTime`, `attendees` (the booker
first, then any guests: `email`, `name`, `phoneNumber`), `responses` (the booking form's
answers, the attendee's phone under `attendeePhoneNumber`), `metadata` (what the booking link
passed as `metadata[key]=value`, where the customer's reference travels as `crm_ref`) and, for a
reschedule, `rescheduleUid`. `BOOKING_NO_SHOW_UPDATED` names only `bookingUid` and the attendees
marked or unmarked. `MEETING_ENDED` is sent flat (no `payload`). The account is named by the path,
so items have no addressee.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, Final

from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from crm_ingest.policy.connectors import bookings
from crm_ingest.policy.connectors.items import Connector, Item, Mapped, Skipped, booking_key
from crm_schemas.catalog import EventName
from crm_schemas.identity import email_sha256

CREATED: Final = "BOOKING_CREATED"
RESCHEDULED: Final = "BOOKING_RESCHEDULED"
CANCELLED: Final = "BOOKING_CANCELLED"
NO_SHOW_UPDATED: Final = "BOOKING_NO_SHOW_UPDATED"
MEETING_ENDED: Final = "MEETING_ENDED"
# The booking link's reference, passed as `metadata[crm_ref]=crm-<customer id>`.
REFERENCE_KEY: Final = "crm_ref"

_EVENT_NAMES: Final = {
    CREATED: EventName.MEETING_BOOKED,
    RESCHEDULED: EventName.MEETING_BOOKED,
    CANCELLED: EventName.MEETING_CANCELED,
}
_IGNORED: Final = {
    MEETING_ENDED: "scheduled end, not attendance",
    "BOOKING_REQUESTED": "booking requested, not confirmed yet",
    "BOOKING_REJECTED": "booking request rejected, never booked",
}

_WHERE: Final = {
    "": "payload.attendees[0].email",
    "event_id": "payload.uid",
    "timestamp": "createdAt",
    "contact.email": "payload.attendees[0].email",
    "contact.name": "payload.attendees[0].name",
    "contact.phone": "payload.attendees[0].phoneNumber",
    "properties.booking_time": "payload.startTime",
    "properties.booking_id": "payload.uid",
}


class _Delivery(bookings.Delivery):
    triggerEvent: str
    createdAt: AwareDatetime


class _Attendee(BaseModel):
    email: str | None = None
    name: str | None = None
    phoneNumber: str | None = None
    noShow: bool | None = None


class _Answer(BaseModel):
    value: Any = None


class _Booking(BaseModel):
    uid: str = Field(min_length=1)
    startTime: AwareDatetime
    attendees: list[_Attendee] = Field(min_length=1)
    responses: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    # A reschedule's earlier booking, whose customer the new one stays with.
    rescheduleUid: Any = None


class _NoShow(BaseModel):
    bookingUid: str = Field(min_length=1)
    attendees: list[_Attendee] = Field(min_length=1)


def calcom_items(document: Any) -> list[Item]:
    """One item per delivery, but for a no-show update: one per attendee it names."""
    trigger = document.get("triggerEvent") if isinstance(document, dict) else None
    if trigger == NO_SHOW_UPDATED:
        return _no_show_items(document)
    return [Item(Connector.CALCOM, bookings.payload_text(document, "uid"), None, _judged(document))]


def _judged(document: Any) -> Mapped | Skipped:
    if not isinstance(document, dict):
        return bookings.rejected("body: must be a JSON object")
    trigger = document.get("triggerEvent")
    if isinstance(trigger, str) and trigger in _IGNORED:
        return bookings.ignored(_IGNORED[trigger])
    if not isinstance(trigger, str) or trigger not in _EVENT_NAMES:
        return bookings.not_modelled("Cal.com trigger", trigger)
    read = bookings.read_delivery(document, _Delivery, _Booking)
    if isinstance(read, Skipped):
        return read
    delivery, booking = read
    return _mapped(trigger, delivery, booking)


def _mapped(trigger: str, delivery: _Delivery, booking: _Booking) -> Mapped | Skipped:
    booker = booking.attendees[0]
    start = booking.startTime.astimezone(UTC).isoformat().replace("+00:00", "Z")
    properties: dict[str, Any] = {"booking_id": booking.uid}
    event_id = f"calcom:{booking.uid}:{trigger}"
    if trigger != CANCELLED:
        properties["booking_time"] = start
    if trigger == RESCHEDULED:
        # The new start is part of the id, so each new time is its own fact even were a uid
        # to come back, while a retried delivery of the same move stays one.
        event_id += f":{start}"
    contact = {"email": booker.email, "name": booker.name, "phone": _phone(booker, booking)}
    metadata = booking.metadata or {}
    earlier = booking.uid if trigger == CANCELLED else booking.rescheduleUid
    books = None if trigger == CANCELLED else _booking(booking.uid, booker.email)
    return bookings.checked(
        {
            "event_name": _EVENT_NAMES[trigger].value,
            "event_id": event_id,
            "timestamp": delivery.createdAt,
            "source": bookings.SOURCE,
            "contact": bookings.without_none(contact),
            "properties": properties,
        },
        booking_reference=bookings.reference_of(metadata.get(REFERENCE_KEY)),
        where=_WHERE,
        books=books,
        follows=_booking(earlier, booker.email),
    )


def _booking(uid: Any, email: str | None) -> str | None:
    """One attendee's place in a booking, by the booking's uid and the hash of their email: a
    guest's no-show is not the booker's, so only the booker's later events follow the
    booking."""
    if not isinstance(uid, str) or not uid or not email or not email.strip():
        return None
    return booking_key(Connector.CALCOM, f"{uid}:{email_sha256(email)}")


def _phone(booker: _Attendee, booking: _Booking) -> str | None:
    if booker.phoneNumber:
        return booker.phoneNumber
    answer = (booking.responses or {}).get("attendeePhoneNumber")
    try:
        value = _Answer.model_validate(answer).value
    except ValidationError:
        return None
    return value if isinstance(value, str) and value else None


def _no_show_items(document: dict[str, Any]) -> list[Item]:
    read = bookings.read_delivery(document, _Delivery, _NoShow)
    if isinstance(read, Skipped):
        return [Item(Connector.CALCOM, bookings.payload_text(document, "bookingUid"), None, read)]
    delivery, marked = read
    return [
        Item(Connector.CALCOM, marked.bookingUid, None, _no_show(delivery, marked, index))
        for index in range(len(marked.attendees))
    ]


def _no_show(delivery: _Delivery, marked: _NoShow, index: int) -> Mapped | Skipped:
    attendee = marked.attendees[index]
    if attendee.noShow is not True:
        return bookings.ignored("attendee unmarked as no-show")
    email = f"payload.attendees[{index}].email"
    return bookings.checked(
        {
            "event_name": EventName.NO_SHOW.value,
            "event_id": f"calcom:{marked.bookingUid}:no_show:{attendee.email}",
            "timestamp": delivery.createdAt,
            "source": bookings.SOURCE,
            "contact": bookings.without_none({"email": attendee.email}),
            "properties": {"booking_id": marked.bookingUid},
        },
        booking_reference=None,
        follows=_booking(marked.bookingUid, attendee.email),
        where={
            "": email,
            "event_id": "payload.bookingUid",
            "timestamp": "createdAt",
            "contact.email": email,
            "properties.booking_id": "payload.bookingUid",
        },
    )
