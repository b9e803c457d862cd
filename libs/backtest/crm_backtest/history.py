"""A generated history: who the contacts are, what happened to them (facts, in the domain's
words) and how it reaches the system (deliveries, in the order they are sent)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from crm_backtest.accounts import AccountProfile
from crm_backtest.clock import iso, parse

# The CRM's own routes, then the providers' own webhooks (crm_backtest.provider_routes).
# "settings": an account's `PUT /api/settings` (crm_backtest.settings_plans), not an event.
# "person": a person's call of the customers API (crm_backtest.card_stories), not an event.
Route = Literal["dm", "capi", "event", "batch", "meta", "calendly", "calcom", "settings", "person"]

# A person's move through the API (a next-stage): a fact of the fold, never an event sent
# to ingest by the generator.
PERSON_MOVE = "PERSON_MOVE"
# A person's actions the card stories send (crm_backtest.card_stories), at the request's
# time: the history holds them at its anchor until a replay tells when they were made.
PERSON_CREATE = "PERSON_CREATE"  # POST /api/customers: an import at `term` of `pipeline`
PERSON_IDENTITY = "PERSON_IDENTITY"  # PUT /api/customers/{id} of `contact_email`
PERSON_ACTIONS = frozenset({PERSON_CREATE, PERSON_IDENTITY})


@dataclass(frozen=True)
class Contact:
    key: str
    account_id: str
    origin: Literal["dm", "capi", "api"]  # "api": created by a person (an import)
    platform: str  # ig | messenger | whatsapp, "ads" for a CAPI lead, "manual" for an import
    handle: str | None = None
    email: str | None = None
    utm: dict[str, str] | None = None
    # A contact of a card story (crm_backtest.card_stories): what the story is; the oracle
    # predicts the contact data of their card only for these.
    story: str | None = None
    # A provider contact's id on its platform (page- or Instagram-scoped id, or wa_id): it
    # writes through Meta and the CRM knows it by this id, not by its handle.
    platform_id: str | None = None


OPTIONAL_FACT_FIELDS = (
    "to_status", "contact_email", "contact_phone", "contact_name", "term", "pipeline",
)  # fmt: skip


@dataclass(frozen=True)
class Fact:
    event_id: str
    name: str
    at: datetime
    contact: str
    account_id: str
    consent_messaging: bool | None = None
    booking_time: datetime | None = None
    to_status: str | None = None  # only for PERSON_MOVE
    # Contact data the event (or a person's action) carries beside the contact's own identity.
    contact_email: str | None = None
    contact_phone: str | None = None
    contact_name: str | None = None
    # Where an import puts the customer: a term of `pipeline`'s vocabulary (a canonical code
    # without one); only for PERSON_CREATE.
    term: str | None = None
    pipeline: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "event_id": self.event_id,
            "name": self.name,
            "at": iso(self.at),
            "contact": self.contact,
            "account_id": self.account_id,
        }
        if self.consent_messaging is not None:
            data["consent_messaging"] = self.consent_messaging
        if self.booking_time is not None:
            data["booking_time"] = iso(self.booking_time)
        for key in OPTIONAL_FACT_FIELDS:
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fact:
        booking = data.get("booking_time")
        return cls(
            event_id=data["event_id"],
            name=data["name"],
            at=parse(data["at"]),
            contact=data["contact"],
            account_id=data["account_id"],
            consent_messaging=data.get("consent_messaging"),
            booking_time=parse(booking) if booking else None,
            **{key: data.get(key) for key in OPTIONAL_FACT_FIELDS},
        )


@dataclass(frozen=True)
class Delivery:
    """One HTTP send: a webhook, a single event, or one item of a batch."""

    route: Route
    account_id: str
    contact: str
    event_id: str
    body: dict[str, Any]
    duplicate: bool = False
    batch: int | None = None  # consecutive deliveries with one batch number go in one POST
    # The event id ingest publishes a provider's delivery under (`meta:<mid>`, ...), when it
    # is not `event_id`.
    published_id: str | None = None
    # A person's call: the contact whose sends (a person's change of their identity) must be
    # answered before this one is sent.
    waits_for: str | None = None

    @property
    def published_event_id(self) -> str:
        return self.published_id or self.event_id


@dataclass
class History:
    seed: int
    anchor: datetime  # every fact is before it; the checks read the system as of it
    accounts: list[AccountProfile]
    contacts: list[Contact]
    facts: list[Fact]
    deliveries: list[Delivery] = field(default_factory=list)
    # Generated with the card stories (identity corrections, imports, contact data in later
    # events): the oracle then checks each card's contact data too.
    kundekort: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "anchor": iso(self.anchor),
            "accounts": [profile.to_json() for profile in self.accounts],
            "contacts": [contact.__dict__ for contact in self.contacts],
            "facts": [fact.to_json() for fact in self.facts],
            "deliveries": [delivery.__dict__ for delivery in self.deliveries],
            "kundekort": self.kundekort,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> History:
        return cls(
            seed=data["seed"],
            anchor=parse(data["anchor"]),
            accounts=[AccountProfile.from_json(item) for item in data["accounts"]],
            contacts=[Contact(**item) for item in data["contacts"]],
            facts=[Fact.from_json(item) for item in data["facts"]],
            deliveries=[Delivery(**item) for item in data["deliveries"]],
            kundekort=data.get("kundekort", False),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> History:
        return cls.from_json(json.loads(path.read_text()))

    def at_request_times(self, times: Mapping[str, datetime]) -> History:
        """The history with its person actions at the times the system made them (by event
        id; those not given stay at the anchor)."""
        facts = [dataclasses.replace(f, at=times.get(f.event_id, f.at)) for f in self.facts]
        return dataclasses.replace(self, facts=facts)

    def facts_by_contact(self) -> dict[str, list[Fact]]:
        grouped: dict[str, list[Fact]] = {contact.key: [] for contact in self.contacts}
        for fact in self.facts:
            grouped.setdefault(fact.contact, []).append(fact)
        return grouped

    def profile(self, account_id: str) -> AccountProfile:
        return next(p for p in self.accounts if p.account_id == account_id)
