"""The card stories of a history (docs/domain.md, Customers and identity; generate(...,
kundekort=True)): contact data arriving in later events, a person correcting a customer's
email (after which the old one belongs to someone else), and imports through the customers
API at various stages of the three vocabularies. Seeded by their own random stream, so a
history without them is the one the generator always gave.

The contacts of these stories keep the CRM's own routes (no provider delivery), are never
delivered out of order, and are the ones whose card's contact data the oracle predicts."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from crm_backtest.accounts import AccountProfile
from crm_backtest.bodies import body_for
from crm_backtest.history import PERSON_CREATE, PERSON_IDENTITY, Contact, Delivery, Fact, Route
from crm_backtest.journeys import Timeline, lead_journey

CONTACT_DATA_SHARE = 0.15  # of the DM contacts known by handle who qualify or book later
SECOND_EMAIL_SHARE = 0.4  # of those: a later event carries another email, which links nothing
CLEARED_SHARE = 0.3  # of those: a person clears the phone and names them; a later event
# carrying a phone and a name again changes neither
CORRECTED_SHARE = 0.1  # of the lead-form contacts: a person corrects their email
IMPORT_SHARE = 0.03  # of the contacts: imports, beside those holding a corrected email
# Where imports put people: (vocabulary or None for a canonical code, status term); every
# open stage, signed_up and not_now, and booking terms. No-Show is left out: an import makes
# no NO_SHOW event, so the NBA's rebook would have no time of a no-show to be due at.
IMPORT_TERMS: tuple[tuple[str | None, str], ...] = (
    (None, "lead"),
    (None, "relationship"),
    (None, "follow_up"),
    (None, "signed_up"),
    (None, "not_now"),
    ("frazer", "New"),
    ("frazer", "Invited"),
    ("frazer", "Booked"),
    ("frazer", "Video Sent"),
    ("frazer", "Team"),
    ("frazer", "Not Now"),
    ("recruiting", "Qualified"),
    ("recruiting", "Booked"),
    ("recruiting", "Held"),
    ("recruiting", "Joined"),
    ("sales", "Won"),
    ("sales", "Lost"),
)
# What asks a customer's contact data in the generated lives: a qualification or a booking.
ASKING = frozenset({"LEAD_QUALIFIED", "MEETING_BOOKED"})
INBOUND = frozenset({"DM_STARTED", "MESSAGE_RECEIVED"})


@dataclass
class CardStories:
    contacts: list[Contact] = field(default_factory=list)  # the ones the stories add
    facts: dict[str, list[Fact]] = field(default_factory=dict)  # every story contact's facts
    crm_only: set[str] = field(default_factory=set)  # contacts kept on the CRM's routes
    tail: list[Delivery] = field(default_factory=list)  # sent after everything else


def phone_of(tag: str, key: str) -> str:
    """A UK mobile number (07 40 to 07 49: all valid) unique to the run and contact."""
    digits = int(hashlib.sha256(f"{tag}:{key}".encode()).hexdigest(), 16) % 10**8
    return f"+4474{digits:08d}"


def _person(fact: Fact, contact: Contact, body: dict[str, Any], waits_for: str | None) -> Delivery:
    return Delivery(
        "person", fact.account_id, contact.key, fact.event_id, body, waits_for=waits_for
    )


def _import_body(fact: Fact) -> dict[str, Any]:
    created: dict[str, Any] = {"name": fact.contact_name, "email": fact.contact_email}
    if fact.term is not None:
        created["status"] = fact.term
    if fact.pipeline is not None:
        created["pipeline"] = fact.pipeline
    return {"method": "POST", "json": created}


class _Writer:
    def __init__(
        self,
        rng: random.Random,
        tag: str,
        anchor: datetime,
        span: timedelta,
        new_id: Callable[[], str],
        first_key: int,
    ) -> None:
        self.rng = rng
        self.tag = tag
        self.anchor = anchor
        self.span = span
        self.new_id = new_id
        self.numbers = iter(range(first_key, first_key + 10**6))
        self.stories = CardStories()

    def key(self) -> str:
        return f"c{next(self.numbers):05d}"

    def contact_data(self, contact: Contact, facts: list[Fact]) -> None:
        """A customer first seen by handle gives an email, a phone and a name when they
        qualify or book; some later give another email, which the card must not take."""
        asking = next(i for i, f in enumerate(facts) if i and f.name in ASKING)
        key = contact.key
        facts[asking] = replace(
            facts[asking],
            contact_email=f"card.{self.tag}.{key}@example.com",
            contact_phone=phone_of(self.tag, key),
            contact_name=f"Card {key}",
        )
        # Not a DM: the DM webhook carries the sender's handle only.
        later = [i for i in range(asking + 1, len(facts)) if facts[i].name not in INBOUND]
        if later and self.rng.random() < SECOND_EMAIL_SHARE:
            i = self.rng.choice(later)
            facts[i] = replace(facts[i], contact_email=f"other.{self.tag}.{key}@example.com")
        if self.rng.random() < CLEARED_SHARE:
            self.cleared(contact, facts)
        self.stories.facts[key] = facts
        self.stories.crm_only.add(key)

    def cleared(self, contact: Contact, facts: list[Fact]) -> None:
        """After the contact's sends a person clears the phone and sets a name; an event a
        minute after their last fact then carries a phone and a name again."""
        at = facts[-1].at + timedelta(minutes=1)
        if at >= self.anchor:
            return
        changed = Fact(
            self.new_id(), PERSON_IDENTITY, self.anchor, contact.key, contact.account_id,
            contact_name=f"Named {contact.key}",
        )  # fmt: skip
        body = {"method": "PUT", "json": {"phone": None, "name": changed.contact_name}}
        again = Fact(
            self.new_id(), "MESSAGE_SENT", at, contact.key, contact.account_id,
            contact_phone=phone_of(self.tag, contact.key), contact_name=f"Card {contact.key}",
        )  # fmt: skip
        facts += [changed, again]
        self.stories.tail.append(_person(changed, contact, body, None))
        resent = body_for(again, contact, "event", {}, self.rng)
        self.stories.tail.append(
            Delivery("event", again.account_id, contact.key, again.event_id, resent)
        )

    def correction(self, contact: Contact, facts: list[Fact], profile: AccountProfile) -> None:
        """A person corrects the email of a lead-form contact; the old one then reaches
        someone else: a lead form of another person, or an import."""
        fixed = Fact(
            self.new_id(), PERSON_IDENTITY, self.anchor, contact.key, contact.account_id,
            contact_email=f"fixed.{self.tag}.{contact.key}@example.com",
        )  # fmt: skip
        self.stories.facts[contact.key] = [*facts, fixed]
        self.stories.crm_only.add(contact.key)
        body = {"method": "PUT", "json": {"email": fixed.contact_email}}
        self.stories.tail.append(_person(fixed, contact, body, None))
        if self.rng.random() < 0.5:
            self.holder_by_events(contact, profile)
        else:
            self.an_import(profile, email=contact.email, waits_for=contact.key)

    def holder_by_events(self, corrected: Contact, profile: AccountProfile) -> None:
        holder = Contact(
            self.key(), profile.account_id, "capi", "ads", email=corrected.email, story="holder"
        )
        offset = self.rng.uniform(timedelta(hours=1).total_seconds(), self.span.total_seconds())
        start = (self.anchor - timedelta(seconds=int(offset))).replace(microsecond=0)
        line = Timeline(self.rng, holder, start, self.anchor, self.new_id)
        lead_journey(line)
        facts = sorted(line.facts, key=lambda f: (f.at, f.event_id))
        self.stories.contacts.append(holder)
        self.stories.facts[holder.key] = facts
        self.stories.crm_only.add(holder.key)
        bookings: dict[str, str] = {}
        for i, fact in enumerate(facts):
            route: Route = "capi" if i == 0 else "event"
            body = body_for(fact, holder, route, bookings, self.rng)
            self.stories.tail.append(
                Delivery(route, fact.account_id, holder.key, fact.event_id, body,
                         waits_for=corrected.key)
            )  # fmt: skip

    def an_import(
        self, profile: AccountProfile, email: str | None = None, waits_for: str | None = None
    ) -> None:
        key = self.key()
        pipeline, term = self.rng.choice(IMPORT_TERMS)
        email = email or f"import.{self.tag}.{key}@example.com"
        contact = Contact(key, profile.account_id, "api", "manual", email=email, story="import")
        created = Fact(
            self.new_id(), PERSON_CREATE, self.anchor, key, profile.account_id,
            contact_email=email, contact_name=f"Imported {key}", term=term, pipeline=pipeline,
        )  # fmt: skip
        self.stories.contacts.append(contact)
        self.stories.facts[key] = [created]
        self.stories.tail.append(_person(created, contact, _import_body(created), waits_for))


def card_stories(
    rng: random.Random,
    tag: str,
    anchor: datetime,
    span: timedelta,
    profiles: list[AccountProfile],
    people: list[Contact],
    by_contact: dict[str, list[Fact]],
    new_id: Callable[[], str],
) -> tuple[list[Contact], CardStories]:
    """The stories over the generated people (marked with their story) and the contacts they
    add; the people's facts a story changes are in `facts`, which replaces theirs."""
    writer = _Writer(rng, tag, anchor, span, new_id, len(people))
    profile_of = {profile.account_id: profile for profile in profiles}
    marked = []
    for contact in people:
        facts = list(by_contact[contact.key])
        story = None
        by_handle = contact.origin == "dm" and contact.platform_id is None
        if by_handle and any(i and f.name in ASKING for i, f in enumerate(facts)):
            if rng.random() < CONTACT_DATA_SHARE:
                story = "contact_data"
                writer.contact_data(contact, facts)
        elif contact.origin == "capi" and rng.random() < CORRECTED_SHARE:
            story = "corrected"
            writer.correction(contact, facts, profile_of[contact.account_id])
        marked.append(replace(contact, story=story) if story else contact)
    for _ in range(max(3, round(len(people) * IMPORT_SHARE))):
        writer.an_import(rng.choice(profiles))
    return marked, writer.stories
