"""A seeded history for N contacts over several accounts, and its deliveries: first DMs by the
DM webhook, leads by the CAPI webhook, the rest by /api/events (single and batch); a share as
the providers' own deliveries (Meta, WhatsApp, Calendly, Cal.com: provider_routes); ~5% sent
twice with one event_id, and some of a contact's events delivered out of order."""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import replace
from datetime import datetime, timedelta

from crm_backtest.accounts import DEFAULT_ACCOUNTS, AccountProfile
from crm_backtest.batching import group_batches
from crm_backtest.bodies import body_for
from crm_backtest.card_stories import card_stories
from crm_backtest.clock import iso
from crm_backtest.history import Contact, Delivery, Fact, History, Route
from crm_backtest.journeys import Timeline, dm_journey, lead_journey
from crm_backtest.provider_routes import (
    PROVIDER_CONTACT_SHARE,
    ToolBooking,
    booking_body,
    meta_body,
    platform_id,
    provider_route,
    tool_booking,
)
from crm_backtest.settings_plans import changing_accounts, with_settings_changes

DUPLICATE_SHARE = 0.05
SWAP_CHANCE = 0.3  # of the contacts that have a swappable pair
# Swapping these two-by-two cannot change what the rules decide (none of them triggers,
# cancels or completes a reminder), so the oracle's timestamp order is the only right answer.
SWAPPABLE = frozenset({"MESSAGE_SENT", "MESSAGE_RECEIVED", "INVITE_SENT", "LEAD_QUALIFIED"})
PLATFORMS = ("ig", "messenger", "whatsapp")
UTM_SOURCES = ("instagram", "facebook", "tiktok", "newsletter", "youtube")
UTM_MEDIUMS = ("social", "paid", "email", "video")
UTM_CAMPAIGNS = ("spring-launch", "webinar-oct", "story-poll", "reels-ad", "referral")


def run_tag(seed: int, anchor: datetime) -> str:
    """Distinguishes one run's ids and identities from another's in the same system."""
    return hashlib.sha256(f"{seed}:{iso(anchor)}".encode()).hexdigest()[:8]


def _contact(rng: random.Random, n: int, tag: str, account: AccountProfile) -> Contact:
    utm = None
    if rng.random() < 0.6:
        utm = {
            "source": rng.choice(UTM_SOURCES),
            "medium": rng.choice(UTM_MEDIUMS),
            "campaign": rng.choice(UTM_CAMPAIGNS),
        }
    if rng.random() < 0.25:
        email = f"lead.{tag}.{n:05d}@example.com"
        return Contact(f"c{n:05d}", account.account_id, "capi", "ads", email=email, utm=utm)
    platform = rng.choice(PLATFORMS)
    handle = f"bt{tag}{n:05d}"
    return Contact(f"c{n:05d}", account.account_id, "dm", platform, handle=handle, utm=utm)


def _route(fact: Fact, contact: Contact, first: bool, rng: random.Random) -> Route:
    if first:
        return "dm" if contact.origin == "dm" else "capi"
    # A provider contact's DMs come through Meta only (a DM webhook would name a handle).
    inbound_dm = (
        fact.name == "MESSAGE_RECEIVED" and contact.origin == "dm" and contact.platform_id is None
    )
    if inbound_dm and rng.random() < 0.5:
        return "dm"
    return "event" if rng.random() < 0.5 else "batch"


def _as_provider_contact(
    contact: Contact, facts: list[Fact], profile: AccountProfile, tag: str, roll: float
) -> Contact:
    """A share of the DM contacts write through Meta; not those whose first DM carries consent
    (Meta carries none) or shares its second with another of their facts (ingest orders
    same-second events by the ids it publishes, which a provider prefixes)."""
    if contact.origin != "dm" or not profile.takes_meta or roll >= PROVIDER_CONTACT_SHARE:
        return contact
    if not facts or facts[0].consent_messaging is not None:
        return contact
    if len(facts) > 1 and facts[1].at == facts[0].at:
        return contact
    return replace(contact, platform_id=platform_id(tag, contact.key, contact.platform))


def _tied(by_contact: dict[str, list[Fact]]) -> set[str]:
    """Facts that share their second with another fact of their contact: they keep the CRM's
    routes, so the order ingest publishes them in stays (timestamp, event_id)."""
    tied: set[str] = set()
    for facts in by_contact.values():
        for a, b in itertools.pairwise(facts):
            if a.at == b.at:
                tied.update((a.event_id, b.event_id))
    return tied


def _swap_some(
    order: list[Fact],
    by_contact: dict[str, list[Fact]],
    rng: random.Random,
    unswapped: frozenset[str] = frozenset(),
    in_order: frozenset[str] = frozenset(),
) -> None:
    """Deliver, for some contacts, one later fact before an earlier one (never the first).
    Not in the `unswapped` accounts: their settings may switch follow_up_7d off, and then any
    activity cancels it, so a swapped pair would no longer be one the rules ignore (a late fact
    never reopens what a later one closed). Nor the `in_order` contacts (the card stories')."""
    position = {fact.event_id: i for i, fact in enumerate(order)}
    for contact, facts in by_contact.items():
        if (facts and facts[0].account_id in unswapped) or contact in in_order:
            continue
        pairs = [
            (a, b)
            for a, b in itertools.pairwise(facts[1:])
            if a.name in SWAPPABLE
            and b.name in SWAPPABLE
            and a.consent_messaging is None
            and b.consent_messaging is None
        ]
        if pairs and rng.random() < SWAP_CHANCE:
            a, b = rng.choice(pairs)
            i, j = position[a.event_id], position[b.event_id]
            order[i], order[j] = b, a
            position[a.event_id], position[b.event_id] = j, i


def _with_duplicates(deliveries: list[Delivery], rng: random.Random) -> list[Delivery]:
    """About 5% sent again a little later with the same event_id and the same body."""
    later: dict[int, list[Delivery]] = {}
    for i, delivery in enumerate(deliveries):
        if rng.random() < DUPLICATE_SHARE:
            copy = replace(delivery, duplicate=True)
            later.setdefault(i + rng.randint(0, 30), []).append(copy)
    result = []
    for i, delivery in enumerate(deliveries):
        result.append(delivery)
        result.extend(later.pop(i, []))
    result.extend(copy for _, copies in sorted(later.items()) for copy in copies)
    return result


def _timed(deliveries: list[Delivery], facts: list[Fact]) -> list[tuple[datetime, Delivery]]:
    at = {fact.event_id: fact.at for fact in facts}
    return [(at[delivery.event_id], delivery) for delivery in deliveries]


class _Routing:
    """How each fact reaches the system: a provider's delivery (provider_routes) or one of the
    CRM's own routes; keeps each contact's booking ids and the booking a tool made."""

    def __init__(
        self,
        rng: random.Random,
        people: list[Contact],
        by_contact: dict[str, list[Fact]],
        profiles: list[AccountProfile],
        crm_only: frozenset[str] = frozenset(),
    ) -> None:
        self.rng = rng
        self.crm_only = crm_only
        self.contact_of = {contact.key: contact for contact in people}
        self.profile_of = {profile.account_id: profile for profile in profiles}
        self.firsts = {facts[0].event_id for facts in by_contact.values() if facts}
        self.tied = _tied(by_contact)
        self.bookings: dict[str, str] = {}
        self.tool_bookings: dict[str, ToolBooking | None] = {}

    def delivery(self, fact: Fact) -> Delivery:
        contact = self.contact_of[fact.contact]
        first = fact.event_id in self.firsts
        roll = self.rng.random()
        open_booking = self.tool_bookings.get(contact.key)
        route: Route | None = None
        if fact.event_id not in self.tied and contact.key not in self.crm_only:
            route = provider_route(fact, contact, first, roll, open_booking)
        published = None
        if route == "meta":
            profile = self.profile_of[fact.account_id]
            body, published = meta_body(fact, contact, profile, self.rng.randrange(1_000))
        elif route in ("calendly", "calcom"):
            booking = open_booking
            if fact.name == "MEETING_BOOKED" or booking is None:
                booking = tool_booking(fact, route, contact)
                self.tool_bookings[contact.key] = booking
                self.bookings[contact.key] = booking.booking_id
            body, published = booking_body(fact, booking)
        else:
            if fact.name == "MEETING_BOOKED":
                self.tool_bookings[contact.key] = None
            route = _route(fact, contact, first, self.rng)
            body = body_for(fact, contact, route, self.bookings, self.rng)
        return Delivery(
            route, fact.account_id, fact.contact, fact.event_id, body, published_id=published
        )


def generate(
    contacts: int,
    seed: int,
    anchor: datetime,
    accounts: list[AccountProfile] | None = None,
    span: timedelta = timedelta(days=21),
    batch_size: int = 100,
    settings_accounts: int = 0,
    kundekort: bool = False,
) -> History:
    """The same (contacts, seed, anchor, accounts, settings_accounts, kundekort) always give
    the same history; `settings_accounts` new accounts of the run change their settings
    mid-history; `kundekort` adds the card stories (crm_backtest.card_stories), sent by their
    own contacts after the rest."""
    rng = random.Random(seed)
    tag = run_tag(seed, anchor)
    changing = changing_accounts(tag, settings_accounts, random.Random(seed + 1), anchor, span)
    profiles = [*(accounts or DEFAULT_ACCOUNTS), *changing]
    counter = itertools.count(1)

    def new_id() -> str:
        return f"bt-{tag}-{next(counter):07d}"

    people: list[Contact] = []
    by_contact: dict[str, list[Fact]] = {}
    for n in range(contacts):
        profile = rng.choice(profiles)
        contact = _contact(rng, n, tag, profile)
        offset = rng.uniform(timedelta(hours=1).total_seconds(), span.total_seconds())
        start = (anchor - timedelta(seconds=int(offset))).replace(microsecond=0)
        line = Timeline(rng, contact, start, anchor, new_id)
        (dm_journey if contact.origin == "dm" else lead_journey)(line)
        facts_of = sorted(line.facts, key=lambda f: (f.at, f.event_id))
        people.append(_as_provider_contact(contact, facts_of, profile, tag, rng.random()))
        by_contact[contact.key] = facts_of
    crm_only: frozenset[str] = frozenset()
    tail: list[Delivery] = []
    if kundekort:
        stories_rng = random.Random(seed + 2)
        people, stories = card_stories(
            stories_rng, tag, anchor, span, profiles, people, by_contact, new_id
        )
        people += stories.contacts
        by_contact.update(stories.facts)
        crm_only, tail = frozenset(stories.crm_only), stories.tail
    facts = sorted(
        (fact for facts in by_contact.values() for fact in facts),
        key=lambda f: (f.at, f.event_id),
    )
    sent_last = {delivery.event_id for delivery in tail}
    order = [fact for fact in facts if fact.event_id not in sent_last]
    main = {contact: [f for f in line if f.event_id not in sent_last]
            for contact, line in by_contact.items()}  # fmt: skip
    _swap_some(order, main, rng, frozenset(p.account_id for p in changing), crm_only)
    routing = _Routing(rng, people, main, profiles, crm_only)
    timed = [(fact.at, routing.delivery(fact)) for fact in order]
    deliveries = _with_duplicates([delivery for _, delivery in timed], rng)
    deliveries = group_batches(deliveries, batch_size)
    if changing:
        deliveries = with_settings_changes(_timed(deliveries, facts), changing, tag)
    return History(seed, anchor, profiles, people, facts, deliveries + tail, kundekort)
