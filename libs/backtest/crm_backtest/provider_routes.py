"""Which facts go as the providers' own deliveries, and their bodies.

A share of the DM contacts are provider contacts: they write through Meta (Messenger or
Instagram messaging) or the WhatsApp Cloud API, so ingest knows them by the platform's id
(a page-scoped / Instagram-scoped id, or the wa_id) and never by a handle; their other events
name them by that id (`user_id` with `source`), as a client that read the CRM would. A share of
the bookings are made in Calendly or Cal.com with an email nobody has seen, so only the booking
link's reference ties them to the customer; that booking's cancellation or no-show follows it.

Ingest publishes these under ids it derives from the provider's (`meta:<mid>`, `wa:<wamid>`,
`calendly:<invitee uri>:<event>`, `calcom:<uid>:<trigger>`): the fact's event id is the provider
id wherever one is made up here, so `published_id` maps one to the other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from crm_backtest.accounts import AccountProfile
from crm_backtest.history import Contact, Fact, Route
from crm_backtest.provider_payloads import (
    CALENDLY_API,
    calcom_booking,
    calcom_no_show,
    calendly_invitee,
    meta_echo,
    meta_message,
    whatsapp_message,
    whatsapp_sent,
)

PROVIDER_CONTACT_SHARE: Final = 1 / 3  # of the DM contacts whose first DM gives no consent
BOOKING_TOOL_SHARE: Final = 0.4  # of the bookings, half Calendly and half Cal.com
PROVIDER_DM_SHARE: Final = 0.5  # of a provider contact's later messages (the rest as events)
PROVIDER_ROUTES: Final = frozenset({"meta", "calendly", "calcom"})
META_OBJECTS: Final = {"ig": "instagram", "messenger": "page"}
CALENDLY_EVENTS: Final = {
    "MEETING_BOOKED": "invitee.created",
    "MEETING_CANCELED": "invitee.canceled",
    "NO_SHOW": "invitee_no_show.created",
}
CALCOM_TRIGGERS: Final = {
    "MEETING_BOOKED": "BOOKING_CREATED",
    "MEETING_CANCELED": "BOOKING_CANCELLED",
}
TEXTS: Final = ("Hi! Saw your story", "Hey, how does this work?", "Interested!", "Tell me more")
REPLY: Final = "Thanks for writing! Happy to tell you more."


def _number(seed: str, digits: int) -> str:
    value = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return str(value)[-digits:]


def platform_id(tag: str, contact_key: str, platform: str) -> str:
    """The id the platform gives this person: a wa_id is their phone number's digits (a
    German mobile number, so ingest's phone check accepts it), a page- or Instagram-scoped id
    is 16 digits. Made from the run's tag, so runs into one system do not meet."""
    seed = f"{tag}:{contact_key}:{platform}"
    if platform == "whatsapp":
        return "4917" + _number(seed, 9)
    return "7" + _number(seed, 15)


@dataclass(frozen=True)
class ToolBooking:
    """A booking made in a booking tool, which its cancellation or no-show follows."""

    tool: str  # calendly | calcom
    booking_id: str  # Calendly's scheduled event uri, Cal.com's uid
    invitee: str  # Calendly's invitee uri (Cal.com: the uid again)
    email: str
    name: str
    start: datetime


def tool_booking(fact: Fact, tool: str, contact: Contact) -> ToolBooking:
    email = f"booked.{fact.event_id}@example.org"
    name = f"Booker {contact.key}"
    start = fact.booking_time or fact.at
    if tool == "calendly":
        scheduled = f"{CALENDLY_API}/scheduled_events/{fact.event_id}"
        return ToolBooking(
            tool, scheduled, f"{scheduled}/invitees/{fact.event_id}", email, name, start
        )
    return ToolBooking(tool, fact.event_id, fact.event_id, email, name, start)


def booking_body(fact: Fact, booking: ToolBooking) -> tuple[dict[str, Any], str]:
    """The tool's delivery of a booking fact, and the event id ingest publishes it under."""
    if booking.tool == "calendly":
        event = CALENDLY_EVENTS[fact.name]
        body = calendly_invitee(
            event, fact.at, booking.booking_id, booking.invitee, booking.start,
            booking.email, booking.name,
        )  # fmt: skip
        return body, f"calendly:{booking.invitee}:{event}"
    if fact.name == "NO_SHOW":
        published = f"calcom:{booking.booking_id}:no_show:{booking.email}"
        return calcom_no_show(fact.at, booking.booking_id, booking.email), published
    trigger = CALCOM_TRIGGERS[fact.name]
    body = calcom_booking(
        trigger, fact.at, booking.booking_id, booking.start, booking.email, booking.name
    )
    return body, f"calcom:{booking.booking_id}:{trigger}"


def meta_body(
    fact: Fact, contact: Contact, profile: AccountProfile, text_index: int
) -> tuple[dict[str, Any], str]:
    """A provider contact's message (or the marketer's reply to them) as Meta delivers it."""
    person = contact.platform_id or ""
    mid = fact.event_id
    sent = fact.name == "MESSAGE_SENT"
    if contact.platform == "whatsapp":
        number = profile.whatsapp_phone_number_id or ""
        if sent:
            return whatsapp_sent(number, person, mid, fact.at), f"wa-status:{mid}:sent"
        name = f"Prospect {contact.key}"
        text = TEXTS[text_index % len(TEXTS)]
        return whatsapp_message(number, person, name, mid, fact.at, text), f"wa:{mid}"
    object_ = META_OBJECTS[contact.platform]
    owner = (profile.instagram_account_id if object_ == "instagram" else profile.page_id) or ""
    if sent:
        return meta_echo(object_, owner, person, mid, fact.at, REPLY), f"meta:{mid}"
    text = TEXTS[text_index % len(TEXTS)]
    return meta_message(object_, owner, person, mid, fact.at, text), f"meta:{mid}"


def provider_route(
    fact: Fact, contact: Contact, first: bool, roll: float, booking: ToolBooking | None
) -> Route | None:
    """The provider route of a fact, or None for the CRM's own routes. `roll` is uniform in
    [0, 1). `booking`: the contact's open booking when a tool made it."""
    if fact.name == "MEETING_BOOKED" and fact.booking_time is not None:
        if roll < BOOKING_TOOL_SHARE:
            return "calendly" if roll < BOOKING_TOOL_SHARE / 2 else "calcom"
        return None
    if fact.name in ("MEETING_CANCELED", "NO_SHOW") and booking is not None:
        return "calendly" if booking.tool == "calendly" else "calcom"
    if contact.platform_id is None or fact.consent_messaging is not None:
        return None
    if first:
        return "meta"
    if fact.name in ("MESSAGE_RECEIVED", "MESSAGE_SENT") and roll < PROVIDER_DM_SHARE:
        return "meta"
    return None
