"""A generated history: who the contacts are, what happened to them (facts, in the domain's
words) and how it reaches the system (deliveries, in the order they are sent)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from crm_backtest.accounts import AccountProfile
from crm_backtest.clock import iso, parse

# The CRM's own routes, then the providers' own webhooks (crm_backtest.provider_routes).
# "settings": an account's `PUT /api/settings` (crm_backtest.settings_plans), not an event.
Route = Literal["dm", "capi", "event", "batch", "meta", "calendly", "calcom", "settings"]

# A person's move through the API (a next-stage): a fact of the fold, never an event sent
# to ingest by the generator.
PERSON_MOVE = "PERSON_MOVE"
# A person's creation of the customer through the API (an import): `to_status` is where it
# puts them. A fact of the fold and, in an open stage, activity (docs/domain.md, 'Activity').
API_CREATION = "API_CREATION"


@dataclass(frozen=True)
class Contact:
    key: str
    account_id: str
    origin: Literal["dm", "capi"]
    platform: str  # ig | messenger | whatsapp, or "ads" for a CAPI lead
    handle: str | None = None
    email: str | None = None
    utm: dict[str, str] | None = None
    # A provider contact's id on its platform (page- or Instagram-scoped id, or wa_id): it
    # writes through Meta and the CRM knows it by this id, not by its handle.
    platform_id: str | None = None


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
        if self.to_status is not None:
            data["to_status"] = self.to_status
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
            to_status=data.get("to_status"),
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

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "anchor": iso(self.anchor),
            "accounts": [profile.to_json() for profile in self.accounts],
            "contacts": [contact.__dict__ for contact in self.contacts],
            "facts": [fact.to_json() for fact in self.facts],
            "deliveries": [delivery.__dict__ for delivery in self.deliveries],
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
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> History:
        return cls.from_json(json.loads(path.read_text()))

    def facts_by_contact(self) -> dict[str, list[Fact]]:
        grouped: dict[str, list[Fact]] = {contact.key: [] for contact in self.contacts}
        for fact in self.facts:
            grouped.setdefault(fact.contact, []).append(fact)
        return grouped

    def profile(self, account_id: str) -> AccountProfile:
        return next(p for p in self.accounts if p.account_id == account_id)
