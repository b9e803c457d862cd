"""The fake system with what the card stories need: a person's creation and change of a
customer through /customers (claiming and releasing identities as ingest's claim does), and
the card's contact data, consent and last activity in its reads, computed by the oracle from
what it received (so a faithful replay and check report zero mismatches)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crm_backtest.accounts import AccountProfile
from crm_backtest.card import consent_of, contact_data
from crm_backtest.clock import iso
from crm_backtest.history import PERSON_CREATE, Contact, Delivery, Fact, Route
from crm_backtest.nba import last_activity
from crm_backtest.pipeline import fold

from .fake_hooks import identity_keys
from .fake_system import FakeSystem


def _email_key(email: str) -> str:
    return "e:" + hashlib.sha256(email.lower().encode()).hexdigest()


class FakeCrm(FakeSystem):
    def __init__(self, accounts: list[AccountProfile]) -> None:
        super().__init__(accounts)
        self.sends: dict[str, list[Delivery]] = defaultdict(list)  # customer → what it took
        self.order: list[str] = []  # event ids accepted, and "put:<customer>", in order
        self.keep_old_identities = False  # a fault: a change of email releases nothing
        self.stamp_late = timedelta()  # a fault: creations stamped this far after the request
        self._raw: tuple[Route, dict[str, Any]] | None = None
        self.created: dict[str, datetime] = {}

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api")
        account = self._account(request)
        if account is not None and request.method == "POST" and path == "/customers":
            return self._create(account, request)
        if account is not None and request.method == "PUT" and path.startswith("/customers/"):
            return self._change(account, path.rsplit("/", 1)[-1], json.loads(request.content))
        if path in ("/hooks/dm", "/hooks/capi/lead"):
            route: Route = "dm" if path == "/hooks/dm" else "capi"
            self._raw = (route, json.loads(request.content))
        response = super()._route(request)
        self._raw = None
        return response

    def _customer(self, account: str, envelope: dict[str, Any]) -> str:
        """As the fake resolves, but a new customer's id is new even when another named by
        the same identities had it before (they were released from them)."""
        keys = identity_keys(envelope)
        known = envelope.get("customer_id")
        found = known if self.account_of.get(known or "") == account else None
        for key in keys:
            found = found or self.identities.get((account, key))
        seed = f"{account}{keys}{envelope['event_id']}"
        customer = found or hashlib.md5(seed.encode()).hexdigest()
        for key in keys:
            self.identities.setdefault((account, key), customer)
        self.account_of[customer] = account
        return customer

    def _accept(self, account: str, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, result = super()._accept(account, envelope)
        if status == 202:
            route, body = self._raw or ("event", envelope)
            customer = result["customer_id"]
            self.sends[customer].append(Delivery(route, account, customer, "", body))
            self.order.append(envelope["event_id"])
        return status, result

    def _create(self, account: str, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        key = request.headers["idempotency-key"]
        customer = hashlib.md5(f"{account}:{key}".encode()).hexdigest()
        if self.account_of.get(customer) == account:  # the same key again: the first answer
            return httpx.Response(201, json=self._card(account, customer))
        holder = self.identities.get((account, _email_key(body["email"])))
        if holder is not None:
            return httpx.Response(409, json={"title": "identity held", "customer_id": holder})
        self.identities[(account, _email_key(body["email"]))] = customer
        self.account_of[customer] = account
        made = datetime.now(UTC).replace(microsecond=0) + self.stamp_late
        self.created[customer] = made
        self.facts[customer].append(Fact(
            key, PERSON_CREATE, made, customer, account, contact_email=body["email"],
            contact_name=body.get("name"), term=body.get("status"), pipeline=body.get("pipeline"),
        ))  # fmt: skip
        self.sends[customer].append(
            Delivery("person", account, customer, key, {"method": "POST", "json": body})
        )
        return httpx.Response(201, json=self._card(account, customer))

    def _change(self, account: str, customer: str, body: dict[str, Any]) -> httpx.Response:
        """A person's PUT: the email or phone given is claimed (409 when another holds it),
        and the customer's others of that kind are released, unless the fault is set."""
        if self.account_of.get(customer) != account:
            return httpx.Response(404, json={"title": "not found"})
        kinds = (("e:", "email"), ("ph:", "phone"))
        changed = tuple(prefix for prefix, field in kinds if field in body)
        claimed = [
            _email_key(body[field]) if prefix == "e:" else f"ph:{body[field]}"
            for prefix, field in kinds
            if body.get(field) is not None
        ]
        for key in claimed:
            holder = self.identities.get((account, key))
            if holder not in (None, customer):
                return httpx.Response(409, json={"title": "identity held", "customer_id": holder})
        if not self.keep_old_identities:
            for (owner_account, key), owner in list(self.identities.items()):
                if owner_account == account and owner == customer and key.startswith(changed):
                    del self.identities[(owner_account, key)]
        for key in claimed:
            self.identities[(account, key)] = customer
        self.sends[customer].append(
            Delivery("person", account, customer, "", {"method": "PUT", "json": body})
        )
        self.order.append(f"put:{customer}")
        return httpx.Response(200, json=self._card(account, customer))

    def _card(self, account: str, customer: str) -> dict[str, Any]:
        steps = fold(self.facts[customer])
        active = last_activity(steps)
        card: dict[str, Any] = {
            "id": customer,
            "consent": consent_of(self.facts[customer]),
            "last_activity_at": iso(active) if active else None,
        }
        if customer in self.created:
            card["created_at"] = iso(self.created[customer])
        whoever = Contact(customer, account, "dm", "", story="any")
        card.update(contact_data(whoever, self.sends[customer]) or {})
        return card

    def _read(self, account: str, path: str, params: httpx.QueryParams) -> httpx.Response:
        response = super()._read(account, path, params)
        customer = path.rsplit("/", 1)[-1]
        if response.status_code != 200 or not path.startswith("/customers/") or "/" in customer:
            return response
        if customer == "stats" or path.endswith("/booking-link"):
            return response
        return httpx.Response(200, json={**response.json(), **self._card(account, customer)})

    def _customers(self, account: str, as_of: datetime) -> httpx.Response:
        listed = super()._customers(account, as_of).json()
        items = [
            {**item, **self._card(account, item["id"])} if item["id"] in self.facts else item
            for item in listed["items"]
        ]
        return httpx.Response(200, json={"items": items, "next_cursor": None})
