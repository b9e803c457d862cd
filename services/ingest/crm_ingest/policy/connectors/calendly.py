"""Calendly's webhook deliveries (API v2) as items (pure).

A delivery is `{"event", "created_at", "created_by", "payload"}`; for the invitee events
(`invitee.created`, `invitee.canceled`, `invitee_no_show.created`, `invitee_no_show.deleted`)
the payload is the invitee: its `uri`, `email`, `name`, `text_reminder_number`, `tracking`
(the booking page's UTM parameters), `rescheduled` and the embedded `scheduled_event`. A no-show
carries the same invitee, with the no-show record itself under `no_show`. The account is named
by the path, so items have no addressee.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import AwareDatetime, BaseModel, Field

from crm_ingest.policy.connectors import bookings
from crm_ingest.policy.connectors.items import Connector, Item, Mapped, Skipped, booking_key
from crm_schemas.catalog import EventName

CREATED: Final = "invitee.created"
CANCELED: Final = "invitee.canceled"
NO_SHOW_CREATED: Final = "invitee_no_show.created"
NO_SHOW_DELETED: Final = "invitee_no_show.deleted"

_EVENT_NAMES: Final = {
    CREATED: EventName.MEETING_BOOKED,
    CANCELED: EventName.MEETING_CANCELED,
    NO_SHOW_CREATED: EventName.NO_SHOW,
}

# Where each field of the event came from, for a refusal's reason.
_WHERE: Final = {
    "": "payload.email",
    "event_id": "payload.uri",
    "timestamp": "created_at",
    "contact.email": "payload.email",
    "contact.name": "payload.name",
    "contact.phone": "payload.text_reminder_number",
    "properties.booking_time": "payload.scheduled_event.start_time",
    "properties.booking_id": "payload.scheduled_event.uri",
    "utm.source": "payload.tracking.utm_source",
    "utm.medium": "payload.tracking.utm_medium",
    "utm.campaign": "payload.tracking.utm_campaign",
    "utm.term": "payload.tracking.utm_term",
}


class _Delivery(bookings.Delivery):
    event: str
    created_at: AwareDatetime


class _Tracking(BaseModel):
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    # Carries the booking link's reference (crm-<customer id>), not a campaign's content.
    utm_content: Any = None


class _ScheduledEvent(BaseModel):
    uri: str = Field(min_length=1)
    start_time: AwareDatetime


class _Invitee(BaseModel):
    uri: str = Field(min_length=1)
    email: str | None = None
    name: str | None = None
    text_reminder_number: str | None = None
    rescheduled: bool | None = None
    # A rescheduled booking's new invitee names the one it replaces.
    old_invitee: Any = None
    tracking: _Tracking | None = None
    scheduled_event: _ScheduledEvent


def calendly_items(document: Any) -> list[Item]:
    """One item per delivery: Calendly sends one invitee event at a time."""
    return [
        Item(Connector.CALENDLY, bookings.payload_text(document, "uri"), None, _judged(document))
    ]


def _judged(document: Any) -> Mapped | Skipped:
    if not isinstance(document, dict):
        return bookings.rejected("body: must be a JSON object")
    event = document.get("event")
    if event == NO_SHOW_DELETED:
        # The card keeps the no-show until a person or a MEETING_HELD changes it.
        return bookings.ignored("no-show withdrawn")
    if not isinstance(event, str) or event not in _EVENT_NAMES:
        return bookings.not_modelled("Calendly event", event)
    read = bookings.read_delivery(document, _Delivery, _Invitee)
    if isinstance(read, Skipped):
        return read
    delivery, invitee = read
    if event == CANCELED and invitee.rescheduled:
        # The new time arrives as its own invitee.created, which books it.
        return bookings.ignored("rescheduled")
    return _mapped(event, delivery, invitee)


def _mapped(event: str, delivery: _Delivery, invitee: _Invitee) -> Mapped | Skipped:
    tracking = invitee.tracking or _Tracking()
    booked = event == CREATED
    properties: dict[str, Any] = {"booking_id": invitee.scheduled_event.uri}
    utm = None
    if booked:
        properties["booking_time"] = invitee.scheduled_event.start_time.isoformat()
        utm = bookings.without_none(
            {
                "source": tracking.utm_source,
                "medium": tracking.utm_medium,
                "campaign": tracking.utm_campaign,
                "term": tracking.utm_term,
            }
        )
    contact = {
        "email": invitee.email,
        "name": invitee.name,
        "phone": invitee.text_reminder_number,
    }
    return bookings.checked(
        bookings.without_none(
            {
                "event_name": _EVENT_NAMES[event].value,
                "event_id": f"calendly:{invitee.uri}:{event}",
                "timestamp": delivery.created_at,
                "source": bookings.SOURCE,
                "contact": bookings.without_none(contact),
                "properties": properties,
                "utm": utm or None,
            }
        ),
        booking_reference=bookings.reference_of(tracking.utm_content),
        where=_WHERE,
        # The invitee, not the scheduled event, is one person's booking: a group event has
        # many invitees. A rescheduled booking's new invitee follows the one it replaces.
        books=booking_key(Connector.CALENDLY, invitee.uri) if booked else None,
        follows=_booking(invitee.old_invitee if booked else invitee.uri),
    )


def _booking(invitee_uri: Any) -> str | None:
    if not isinstance(invitee_uri, str) or not invitee_uri:
        return None
    return booking_key(Connector.CALENDLY, invitee_uri)
