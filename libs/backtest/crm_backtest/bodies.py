"""What goes over the wire for a fact: a DM webhook, a CAPI lead, or an event envelope that
names the customer by identity (handle or email), as a real client would."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from crm_backtest.clock import iso
from crm_backtest.history import Contact, Fact, Route

WHYS = (
    "More time with my kids",
    "Pay off the student loan",
    "Travel with my partner",
    "Leave the night shift",
)
TEXTS = ("Hi! Saw your story", "Hey, how does this work?", "Interested!", "Tell me more")


def _consent(fact: Fact) -> dict[str, Any] | None:
    if fact.consent_messaging is None:
        return None
    return {"messaging": fact.consent_messaging}


def _dm(fact: Fact, contact: Contact, rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": fact.event_id,
        "account_id": fact.account_id,
        "platform": contact.platform,
        "sender": {"id": f"{contact.platform}-{contact.handle}", "handle": contact.handle},
        "text": rng.choice(TEXTS),
        "timestamp": iso(fact.at),
    }
    if contact.story is None:  # a card story's contact gives their name later
        body["sender"]["name"] = f"Prospect {contact.key}"
    if (consent := _consent(fact)) is not None:
        body["consent"] = consent
    if contact.utm and fact.name == "DM_STARTED":
        body["utm"] = contact.utm
    return body


def _capi(fact: Fact, contact: Contact, rng: random.Random) -> dict[str, Any]:
    email = contact.email or ""
    # Half the forms send the email only hashed (Meta style): ingest must still match the
    # plain address later events use.
    hashed = rng.random() < 0.5
    user_data: dict[str, Any] = {
        "em": hashlib.sha256(email.encode()).hexdigest() if hashed else email.upper(),
        "fn": "prospect",
        "ln": contact.key,
    }
    lead: dict[str, Any] = {
        "full_name": f"Prospect {contact.key}",
        "prospect_why": rng.choice(WHYS),
    }
    if not hashed:
        lead["email"] = email
    body: dict[str, Any] = {
        "event_id": fact.event_id,
        "account_id": fact.account_id,
        "event_time": int(fact.at.timestamp()),
        "user_data": user_data,
        "lead": lead,
    }
    if contact.utm:
        body["custom_data"] = {"utm_campaign": contact.utm["campaign"]}
    return body


def _properties(
    fact: Fact, contact: Contact, bookings: dict[str, str], rng: random.Random
) -> dict[str, Any]:
    channel = contact.platform if contact.origin == "dm" else "email"
    name = fact.name
    if name == "MEETING_BOOKED" and fact.booking_time is not None:
        bookings[contact.key] = f"bk-{fact.event_id}"
        return {"booking_time": iso(fact.booking_time), "booking_id": bookings[contact.key]}
    if name in ("MEETING_HELD", "NO_SHOW", "MEETING_CANCELED"):
        return {"booking_id": bookings[contact.key]} if contact.key in bookings else {}
    if name in ("MESSAGE_SENT", "MESSAGE_RECEIVED", "INVITE_SENT", "FOLLOW_UP_DONE"):
        return {"channel": channel}
    if name == "LEAD_QUALIFIED":
        return {"prospect_why": rng.choice(WHYS)}
    if name == "VIDEO_SENT":
        return {"video_url": "https://example.com/opportunity"}
    if name == "PURCHASED":
        amount = rng.choice((49.0, 89.0, 129.0))
        return {"amount": amount, "currency": "EUR", "product_ids": ["starter-pack"]}
    return {}


def _envelope(
    fact: Fact, contact: Contact, bookings: dict[str, str], rng: random.Random
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_name": fact.name,
        "event_id": fact.event_id,
        "timestamp": iso(fact.at),
        "source": contact.platform if contact.origin == "dm" else "web",
        "properties": _properties(fact, contact, bookings, rng),
    }
    if contact.platform_id is not None:
        # Meta sends no handle: the CRM knows a provider contact by the platform's id.
        body["user_id"] = contact.platform_id
    elif contact.origin == "dm":
        body["contact"] = {"handles": {contact.platform: contact.handle}}
    else:
        body["contact"] = {"email": contact.email}
    given = {"email": fact.contact_email, "phone": fact.contact_phone, "name": fact.contact_name}
    if given := {key: value for key, value in given.items() if value is not None}:
        body.setdefault("contact", {}).update(given)
    if (consent := _consent(fact)) is not None:
        body["consent"] = consent
    return body


def body_for(
    fact: Fact, contact: Contact, route: Route, bookings: dict[str, str], rng: random.Random
) -> dict[str, Any]:
    if route == "dm":
        return _dm(fact, contact, rng)
    if route == "capi":
        return _capi(fact, contact, rng)
    return _envelope(fact, contact, bookings, rng)
