"""The card (Kundekort) as docs/domain.md says it must show a customer, from the history alone:
`consent` (the key-wise merge of the consent facts in timestamp order) and `last_activity_at`
for everyone; for the contacts of the card stories also their contact data (email, phone,
handles, name), as the sends give it: one email, one phone and one handle per platform linked
per customer (another of that kind links nothing), the card filled from what an event linked
when it has none of that kind, never over what a person set or cleared."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from crm_backtest.clock import iso
from crm_backtest.history import Contact, Delivery, Fact
from crm_backtest.nba import last_activity
from crm_backtest.pipeline import Step, fold, sorted_facts

# The routes whose bodies the oracle reads contact data from; a provider's delivery (its own
# payload shapes) makes a contact's contact data a thing the card check leaves alone.
READ_ROUTES = frozenset({"dm", "capi", "event", "batch", "person"})
KINDS = ("email", "phone")


def consent_of(facts: list[Fact]) -> dict[str, Any] | None:
    """Every consent fact merged key by key in timestamp order (UNSUBSCRIBED is
    `messaging: false`); None when there is none."""
    merged: dict[str, Any] = {}
    for fact in sorted_facts(facts):
        if fact.name == "UNSUBSCRIBED":
            merged["messaging"] = False
        elif fact.consent_messaging is not None:
            merged["messaging"] = fact.consent_messaging
    return merged or None


@dataclass
class _Holder:
    """One customer's contact data: what ingest links to them and what the card shows."""

    linked: dict[str, str] = field(default_factory=dict)  # email, phone, handle:<platform>
    email_hash: str | None = None  # a lead form's hashed email, linked before its plain one
    card: dict[str, Any] = field(default_factory=lambda: {"handles": {}})
    by_person: set[str] = field(default_factory=set)  # fields a person set or cleared
    name_unknown: bool = False  # a provider's or lead form's name, not predicted

    def link(self, kind: str, value: str) -> bool:
        """Whether an event's value of that kind is (now) linked to this customer."""
        if kind == "email" and self.email_hash not in (None, _sha(value)):
            return False
        held = self.linked.setdefault(kind, value)
        return held == value

    def fill(self, field_: str, value: str) -> None:
        if field_ not in self.by_person and self.card.get(field_) is None:
            self.card[field_] = value

    def event(self, given: dict[str, Any]) -> None:
        for kind in KINDS:
            if given.get(kind) and self.link(kind, given[kind]):
                self.fill(kind, given[kind])
        for platform, handle in (given.get("handles") or {}).items():
            if self.link(f"handle:{platform}", handle) and "handles" not in self.by_person:
                self.card["handles"].setdefault(platform, handle)
        if given.get("name"):
            self.fill("name", given["name"])

    def person(self, given: dict[str, Any]) -> None:
        """A person's creation or change: the card shows what they gave (a null clears), and
        ingest links exactly that (the claim releases the rest)."""
        for key, value in given.items():
            if key not in (*KINDS, "name"):
                continue
            self.card[key] = value
            self.by_person.add(key)
            if key in KINDS:
                self.linked.pop(key, None)
                if value is not None:
                    self.linked[key] = value
                if key == "email":
                    self.email_hash = None


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _given(delivery: Delivery) -> dict[str, Any]:
    """The contact data a send names, by the route's shape (bodies.py writes them)."""
    body = delivery.body
    if delivery.route == "dm":
        sender = body["sender"]
        return {"handles": {body["platform"]: sender["handle"]}, "name": sender.get("name")}
    if delivery.route == "capi":
        return {"email": body.get("lead", {}).get("email")}
    if delivery.route == "person":
        return dict(body["json"])
    return dict(body.get("contact") or {})


def contact_data(contact: Contact, deliveries: list[Delivery]) -> dict[str, Any] | None:
    """The card's email, phone, handles and name after the contact's sends, in send order
    (a repeat is the same event: one effect); None when a provider's delivery is among them."""
    holder = _Holder()
    for delivery in deliveries:
        if delivery.duplicate:
            continue
        if delivery.route not in READ_ROUTES:
            return None
        given = _given(delivery)
        if delivery.route == "person":
            holder.person(given)
            continue
        if delivery.route == "capi":
            body = delivery.body
            plain = given.get("email")
            holder.email_hash = holder.email_hash or (None if plain else body["user_data"]["em"])
            holder.name_unknown = holder.name_unknown or "name" not in holder.by_person
        holder.event(given)
    card = {
        "email": holder.card.get("email"),
        "phone": holder.card.get("phone"),
        "handles": holder.card["handles"],
    }
    if not holder.name_unknown or "name" in holder.by_person:
        card["name"] = holder.card.get("name")
    return card


def expected_card(
    contact: Contact, facts: list[Fact], deliveries: list[Delivery]
) -> dict[str, Any]:
    """What the oracle predicts of a contact's card, by field."""
    steps: list[Step] = fold(facts)
    active = last_activity(steps)
    card: dict[str, Any] = {
        "consent": consent_of(facts),
        "last_activity_at": iso(active) if active else None,
    }
    if contact.story is not None and (data := contact_data(contact, deliveries)) is not None:
        card.update(data)
    return card
