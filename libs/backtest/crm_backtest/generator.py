"""A seeded history for N contacts over several accounts, and its deliveries: first DMs by the
DM webhook, leads by the CAPI webhook, the rest by /api/events (single and batch), ~5% sent
twice with one event_id, and some of a contact's events delivered out of order."""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from crm_backtest.accounts import DEFAULT_ACCOUNTS, AccountProfile
from crm_backtest.batching import group_batches
from crm_backtest.bodies import body_for
from crm_backtest.clock import iso
from crm_backtest.history import Contact, Delivery, Fact, History, Route
from crm_backtest.journeys import Timeline, dm_journey, lead_journey

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
    inbound_dm = fact.name == "MESSAGE_RECEIVED" and contact.origin == "dm"
    if inbound_dm and rng.random() < 0.5:
        return "dm"
    return "event" if rng.random() < 0.5 else "batch"


def _swap_some(order: list[Fact], by_contact: dict[str, list[Fact]], rng: random.Random) -> None:
    """Deliver, for some contacts, one later fact before an earlier one (never the first)."""
    position = {fact.event_id: i for i, fact in enumerate(order)}
    for facts in by_contact.values():
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


def generate(
    contacts: int,
    seed: int,
    anchor: datetime,
    accounts: list[AccountProfile] | None = None,
    span: timedelta = timedelta(days=21),
    batch_size: int = 100,
) -> History:
    """The same (contacts, seed, anchor, accounts) always give the same history."""
    rng = random.Random(seed)
    profiles = list(accounts or DEFAULT_ACCOUNTS)
    tag = run_tag(seed, anchor)
    counter = itertools.count(1)

    def new_id() -> str:
        return f"bt-{tag}-{next(counter):07d}"

    people: list[Contact] = []
    by_contact: dict[str, list[Fact]] = {}
    for n in range(contacts):
        contact = _contact(rng, n, tag, rng.choice(profiles))
        offset = rng.uniform(timedelta(hours=1).total_seconds(), span.total_seconds())
        start = (anchor - timedelta(seconds=int(offset))).replace(microsecond=0)
        line = Timeline(rng, contact, start, anchor, new_id)
        (dm_journey if contact.origin == "dm" else lead_journey)(line)
        people.append(contact)
        by_contact[contact.key] = sorted(line.facts, key=lambda f: (f.at, f.event_id))
    facts = sorted(
        (fact for facts in by_contact.values() for fact in facts),
        key=lambda f: (f.at, f.event_id),
    )
    order = list(facts)
    _swap_some(order, by_contact, rng)
    contact_of = {contact.key: contact for contact in people}
    firsts = {facts[0].event_id for facts in by_contact.values() if facts}
    bookings: dict[str, str] = {}
    deliveries = []
    for fact in order:
        contact = contact_of[fact.contact]
        route = _route(fact, contact, fact.event_id in firsts, rng)
        body: dict[str, Any] = body_for(fact, contact, route, bookings, rng)
        deliveries.append(Delivery(route, fact.account_id, fact.contact, fact.event_id, body))
    deliveries = group_batches(_with_duplicates(deliveries, rng), batch_size)
    return History(seed, anchor, profiles, people, facts, deliveries)
