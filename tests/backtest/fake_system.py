"""A stand-in for the system behind the gateway, for testing the replayer and the checker
without services: it checks signatures and tokens, resolves identities, answers duplicates,
and serves reads computed by the oracle from what it received (so a correct replay and
check must report zero mismatches, and a deliberate fault must show up)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from crm_backtest.accounts import AccountProfile
from crm_backtest.client import Credentials
from crm_backtest.clock import iso, parse
from crm_backtest.expectations import Period
from crm_backtest.history import Fact
from crm_backtest.kpis import expected_stats, next_action_overdue
from crm_backtest.nba import expected_nba
from crm_backtest.pipeline import OPEN_STAGES, fold
from crm_backtest.reminders import expected_reminders

from .fake_hooks import (
    CALCOM_SECRET,
    CALENDLY_KEY,
    META_SECRET,
    WEBHOOK_SECRET,
    Refused,
    hook_envelopes,
    identity_keys,
)

JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"
# What a replay into the fake signs with: the CRM's own webhooks and the providers'.
CREDENTIALS = Credentials(JWT_SECRET, WEBHOOK_SECRET, META_SECRET, CALENDLY_KEY, CALCOM_SECRET)


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


class FakeSystem:
    def __init__(self, accounts: list[AccountProfile]) -> None:
        self.accounts = {a.account_id: a for a in accounts}
        self.identities: dict[tuple[str, str], str] = {}
        self.seen: dict[tuple[str, str], tuple[str, str]] = {}  # → (body hash, customer)
        self.facts: dict[str, list[Fact]] = defaultdict(list)
        self.account_of: dict[str, str] = {}
        self.dm_platforms: set[tuple[str, str]] = set()
        self.throttle_every = 0  # answer every n-th request with 429 (0: never)
        self.requests = 0
        self.card_reads = 0  # reads of one customer's card, reminders or NBA
        # A system catching up: its first this many account-wide reminder and who-next lists
        # come back empty.
        self.empty_lists = 0
        self.hide_reminder_type: str | None = None  # a deliberate fault
        self.overcount_next_actions = 0  # another: next_actions_overdue off by this much
        # Another: the customers of these event ids shown (and counted) with a late next action.
        self.late_mirror_events: set[str] = set()
        # Customers of earlier runs ({id, status, next_action_date}), listed and counted, and
        # what happens to them when the first event arrives (their NBA timers firing).
        self.others: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.at_first_event: Callable[[], None] | None = None
        self.as_of = datetime.now(UTC)  # "now" for the customers list's mirrored next actions
        # When set, the instant whose NBA this run's customers show in next_actions_overdue
        # (their NBA timers having fired on the wall clock after as_of).
        self.nba_at: datetime | None = None
        # Outages, as the chaos tests make them: while `down_with` is set every request gets
        # that status (502: a gateway in front of a dead service); the next `lose_answers`
        # POSTs are done and then answered 502, as when a service dies before it answers.
        self.down_with: int | None = None
        self.refused = asyncio.Event()  # set at the first request answered `down_with`
        self.lose_answers = 0
        # Customers not consuming yet: this many booking-link reads answer 404 first.
        self.unknown_to_customers = 0
        self.booking_links = 0  # booking links given

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down_with is not None:
            self.refused.set()
            return httpx.Response(self.down_with, headers={"retry-after": "0"})
        if self.throttle_every and self.requests % self.throttle_every == 0:
            return httpx.Response(429, headers={"retry-after": "0"})
        response = self._route(request)
        if self.lose_answers and request.method == "POST":
            self.lose_answers -= 1
            return httpx.Response(502)
        return response

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api")
        if path.startswith("/hooks/"):
            return self._webhook(request, path)
        account = self._account(request)
        if account is None:
            return _json(401, {"title": "unauthorized"})
        if request.method == "POST" and path == "/events":
            status, result = self._accept(account, json.loads(request.content))
            return _json(status, result)
        if request.method == "POST" and path == "/events/batch":
            items = json.loads(request.content)["events"]
            return _json(200, {"results": [self._accept(account, item)[1] for item in items]})
        return self._read(account, path, request.url.params)

    def _account(self, request: httpx.Request) -> str | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        return str(claims["account_id"])

    def _webhook(self, request: httpx.Request, path: str) -> httpx.Response:
        try:
            envelopes = hook_envelopes(request, path, self.accounts)
        except Refused:
            return _json(401, {"title": "bad signature"})
        if path in ("/hooks/dm", "/hooks/capi/lead"):
            status, result = self._accept(*envelopes[0])
            return _json(status, result)
        results = []
        for account, envelope in envelopes:
            status, result = self._accept(account, envelope)
            outcome = result.get("status", "rejected") if status < 400 else "rejected"
            results.append({"account_id": account, "outcome": outcome,
                            "event_id": envelope["event_id"],
                            "customer_id": result.get("customer_id")})  # fmt: skip
        return _json(200, {"items": len(results), "results": results})

    def _customer(self, account: str, envelope: dict[str, Any]) -> str:
        keys = identity_keys(envelope)
        known = envelope.get("customer_id")
        found = known if self.account_of.get(known or "") == account else None
        for key in keys:
            found = found or self.identities.get((account, key))
        customer = found or hashlib.md5(f"{account}{keys}".encode()).hexdigest()
        for key in keys:
            self.identities.setdefault((account, key), customer)
        self.account_of[customer] = account
        return customer

    def _accept(self, account: str, envelope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        event_id = envelope["event_id"]
        digest = _sha(json.dumps(envelope, sort_keys=True))
        if (account, event_id) in self.seen:
            first_digest, customer = self.seen[(account, event_id)]
            if first_digest != digest:
                return 409, {"title": "another body"}
            return 200, {"event_id": event_id, "customer_id": customer, "status": "duplicate"}
        if self.at_first_event is not None:
            self.at_first_event()
            self.at_first_event = None
        customer = self._customer(account, envelope)
        name = envelope.get("event_name")
        if "dm_platform" in envelope:
            first = (customer, envelope["dm_platform"]) not in self.dm_platforms
            self.dm_platforms.add((customer, envelope["dm_platform"]))
            name = "DM_STARTED" if first else "MESSAGE_RECEIVED"
        booking = (envelope.get("properties") or {}).get("booking_time")
        self.facts[customer].append(Fact(
            event_id, str(name), parse(envelope["timestamp"]), customer, account,
            consent_messaging=(envelope.get("consent") or {}).get("messaging"),
            booking_time=parse(booking) if booking else None,
        ))  # fmt: skip
        self.seen[(account, event_id)] = (digest, customer)
        return 202, {"event_id": event_id, "customer_id": customer, "status": "accepted"}

    def _read(self, account: str, path: str, params: httpx.QueryParams) -> httpx.Response:
        profile = self.accounts[account]
        reads: dict[str, Callable[[], httpx.Response]] = {
            "/reminders": lambda: self._reminders(account, params.get("customer_id"), profile),
            "/customers/stats": lambda: self._stats(account, profile, params),
            "/customers": lambda: self._customers(account, self.as_of),
            "/nba": lambda: self._who_next(account, profile, parse(params["as_of"])),
        }
        link = path.endswith("/booking-link")  # the replay's, not a check's read
        self.card_reads += not link and (path not in reads or "customer_id" in params)
        if path in ("/reminders", "/nba") and "customer_id" not in params and self.empty_lists:
            self.empty_lists -= 1
            return _json(200, {"items": [], "next_cursor": None})
        if path in reads:
            return reads[path]()
        customer = path.removesuffix("/booking-link").rsplit("/", 1)[-1]
        if self.account_of.get(customer) != account:
            return _json(404, {"title": "not found"})
        if link and self.unknown_to_customers:
            self.unknown_to_customers -= 1
            return _json(404, {"title": "not found"})
        if link:
            self.booking_links += 1
            query = httpx.QueryParams({"utm_content": f"crm-{customer}"})
            if "cal.com" in params["url"]:
                query = query.set("metadata[crm_ref]", f"crm-{customer}")
            return _json(200, {"url": f"{params['url']}?{query}"})
        if path.startswith("/nba/customer/"):
            action = expected_nba(self.facts[customer], profile, parse(params["as_of"]))
            due = iso(action.due_at) if action.due_at else None
            return _json(200, {"action": action.action, "priority": action.priority, "due_at": due})
        state = fold(self.facts[customer])[-1].after
        return _json(200, {
            "id": customer, "status": state.status, "booking": {"state": state.booking},
            "joined_team": state.joined_team, "opted_out": state.opted_out,
        })  # fmt: skip

    def _reminders(
        self, account: str, customer: str | None, profile: AccountProfile
    ) -> httpx.Response:
        """One customer's reminders, or with no customer_id the account's."""
        customers = [customer] if customer else self._customers_of(account)
        items = [
            {
                "customer_id": c,
                "type": r.type,
                "scheduled_for": iso(r.scheduled_for),
                "status": r.status,
            }
            for c in customers
            for r in expected_reminders(self.facts.get(c, []), profile)
            if r.type != self.hide_reminder_type
        ]
        return _json(200, {"items": items, "next_cursor": None})

    def _who_next(self, account: str, profile: AccountProfile, as_of: datetime) -> httpx.Response:
        items = []
        for customer in self._customers_of(account):
            action = expected_nba(self.facts[customer], profile, as_of)
            if action.priority > 0:
                due = iso(action.due_at) if action.due_at else None
                items.append({
                    "customer_id": customer, "action": action.action,
                    "priority": action.priority, "due_at": due,
                })  # fmt: skip
        return _json(200, {"items": items, "next_cursor": None})

    def _customers_of(self, account: str) -> list[str]:
        return [c for c in self.facts if self.account_of[c] == account]

    def _stats(
        self, account: str, profile: AccountProfile, params: httpx.QueryParams
    ) -> httpx.Response:
        period = Period("custom", parse(params["from"]), parse(params["to"]))
        customers = [f for c, f in self.facts.items() if self.account_of[c] == account]
        as_of = parse(params["as_of"])
        figures = expected_stats(customers, profile, period.start, period.end, as_of)
        if self.nba_at is not None:
            figures["counts"]["next_actions_overdue"] = sum(
                next_action_overdue(
                    fold(facts), expected_reminders(facts, profile), as_of, self.nba_at,
                    profile.overdue_grace,
                )
                for facts in customers
            )  # fmt: skip
        figures["counts"]["next_actions_overdue"] += self.overcount_next_actions + sum(
            c["status"] in OPEN_STAGES and parse(c["next_action_date"]) < as_of
            for c in self.others[account]
        )
        figures["counts"]["next_actions_overdue"] += len(self._late_mirror(account))
        return _json(200, figures)

    def _late_mirror(self, account: str) -> set[str]:
        return {
            self.seen[(account, event_id)][1]
            for event_id in self.late_mirror_events
            if (account, event_id) in self.seen
        }

    def _customers(self, account: str, as_of: datetime) -> httpx.Response:
        """Ours with the oracle's NBA as their next action (or a fault's), then the others."""
        ours, late = [], self._late_mirror(account)
        for customer, facts in self.facts.items():
            if self.account_of[customer] != account:
                continue
            action = expected_nba(facts, self.accounts[account], as_of)
            due = action.due_at if action.action != "none" else None
            if customer in late:
                due = as_of - timedelta(hours=1)
            state = fold(facts)[-1].after
            ours.append({
                "id": customer, "status": state.status, "next_action_date": due and iso(due),
                "booking": {"state": state.booking}, "joined_team": state.joined_team,
                "opted_out": state.opted_out,
            })  # fmt: skip
        return _json(200, {"items": [*self.others[account], *ours], "next_cursor": None})


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
