"""Sends a history through the gateway at a chosen rate: webhooks signed, events with the
account's token (single and batch), the providers' deliveries signed their way, each
contact's sends strictly in the history's order."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crm_backtest.client import Gateway, answer_lost, monotonic
from crm_backtest.clock import parse
from crm_backtest.history import Delivery
from crm_backtest.provider_routes import PROVIDER_ROUTES
from crm_backtest.provider_sending import booking_link, connector_answer, send_provider
from crm_backtest.readings import poll

PATHS = {"dm": "/hooks/dm", "capi": "/hooks/capi/lead", "event": "/events"}
IN_FLIGHT = 64
# How far the time a person's creation is stamped with may lie outside the request's own
# (the clocks of one machine; a gateway retry in between).
STAMP_SLACK = timedelta(seconds=5)
# How long a person's clearing of a field waits for the card to show what they clear.
SEEN_PATIENCE_S = 60.0


@dataclass
class Outcome:
    """What ingest answered for one delivery."""

    delivery: Delivery
    http_status: int
    status: str  # accepted | duplicate | rejected | failed | conflict | error
    customer_id: str | None = None
    accepted_at: float | None = None  # perf_counter seconds when the answer came
    detail: Any = None
    answer_s: float | None = None  # from sending (first try) to the answer
    made_at: datetime | None = None  # a person's creation: when the system made it


@dataclass
class Replay:
    outcomes: list[Outcome] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    retries: int = 0

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)

    def customer_ids(self) -> dict[str, str]:
        """Contact → the customer id ingest gave its first accepted event."""
        found: dict[str, str] = {}
        for outcome in self.outcomes:
            if outcome.customer_id and outcome.status == "accepted":
                found.setdefault(outcome.delivery.contact, outcome.customer_id)
        return found

    def request_times(self) -> dict[str, datetime]:
        """Event id → when the system made a person's action, as it answered."""
        return {
            outcome.delivery.event_id: outcome.made_at
            for outcome in self.outcomes
            if outcome.made_at is not None
        }


def sends(deliveries: list[Delivery]) -> list[list[Delivery]]:
    """Consecutive deliveries of one batch form one POST; everything else goes alone."""
    grouped: list[list[Delivery]] = []
    for batch, items in itertools.groupby(deliveries, key=lambda d: d.batch):
        members = list(items)
        grouped.extend([members] if batch is not None else [[d] for d in members])
    return grouped


def _seen_status(delivery: Delivery, status: str, response: httpx.Response) -> str:
    """An original that a retry finds `duplicate` was accepted at a try whose answer was lost
    (the gateway answered 502 or 504, or the connection dropped): ingest knows the retry, as an
    idempotent endpoint should."""
    if status == "duplicate" and not delivery.duplicate and answer_lost(response):
        return "accepted"
    return status


def _single(delivery: Delivery, response: httpx.Response) -> Outcome:
    status_by_code = {202: "accepted", 409: "conflict"}
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = response.text
    status = status_by_code.get(response.status_code, "rejected")
    if response.status_code == 200 and isinstance(body, dict):
        status = _seen_status(delivery, str(body.get("status", "accepted")), response)
    elif response.status_code >= 500:
        status = "error"
    customer = body.get("customer_id") if isinstance(body, dict) else None
    detail = None if status in ("accepted", "duplicate") else body
    return Outcome(delivery, response.status_code, status, customer, monotonic(), detail)


async def _send_batch(gateway: Gateway, items: list[Delivery]) -> list[Outcome]:
    """One batch; items ingest could not hand to Kafka (`failed`) are sent again."""
    outcomes: dict[int, Outcome] = {}
    pending = list(range(len(items)))
    for _ in range(10):
        body = {"events": [items[i].body for i in pending]}
        response = await gateway.request("POST", "/events/batch", items[0].account_id, json=body)
        if response.status_code != 200:
            return [_single(item, response) for item in items]
        results = response.json()["results"]
        for i, result in zip(pending, results, strict=True):
            status = _seen_status(items[i], result["status"], response)
            outcomes[i] = Outcome(
                items[i], 200, status, result.get("customer_id"), monotonic(),
                result.get("errors"),
            )  # fmt: skip
        pending = [i for i in pending if outcomes[i].status == "failed"]
        if not pending:
            break
        await asyncio.sleep(0.2)
    return [outcomes[i] for i in range(len(items))]


async def _send_provider(gateway: Gateway, delivery: Delivery, customer_id: str | None) -> Outcome:
    """A provider's delivery; a booking tool's after asking the customer's booking link (the
    customer as ingest answered for the contact's earlier deliveries)."""
    link = None
    if delivery.route != "meta":
        if customer_id is not None:
            link = await booking_link(gateway, delivery, customer_id)
        if link is None:
            why = "no booking link: " + ("no customer id yet" if customer_id is None else "none")
            return Outcome(delivery, 0, "error", None, monotonic(), why)
    response = await send_provider(gateway, delivery, link)
    status, customer, detail = connector_answer(response)
    status = _seen_status(delivery, status, response)
    return Outcome(delivery, response.status_code, status, customer, monotonic(), detail)


async def _send_settings(gateway: Gateway, delivery: Delivery) -> Outcome:
    """An account's settings change, as its admin; its id as the Idempotency-Key, so a retry
    after a lost answer is not a second change."""
    response = await gateway.request(
        "PUT",
        "/settings",
        delivery.account_id,
        json=delivery.body,
        headers={"idempotency-key": delivery.event_id},
    )
    status = "accepted" if response.status_code == 200 else "rejected"
    if response.status_code >= 500:
        status = "error"
    detail = None if status == "accepted" else response.text
    return Outcome(delivery, response.status_code, status, None, monotonic(), detail)


async def _send_person(gateway: Gateway, delivery: Delivery, customer_id: str | None) -> Outcome:
    """A person's call of the customers API: a creation (its id as the Idempotency-Key, and
    the time it was made, which must lie within the request) or a change of the customer
    ingest answered for the contact's earlier sends."""
    method, body = delivery.body["method"], delivery.body["json"]
    if method == "POST":
        path, headers = "/customers", {"idempotency-key": delivery.event_id}
    elif customer_id is None:
        return Outcome(delivery, 0, "error", None, monotonic(), "no customer id yet")
    else:
        path, headers = f"/customers/{customer_id}", {}
        await _shown_before_cleared(gateway, delivery.account_id, path, body)
    sent = datetime.now(UTC)
    response = await gateway.request(method, path, delivery.account_id, json=body, headers=headers)
    answered = datetime.now(UTC)
    if response.status_code >= 300:
        status = {409: "conflict"}.get(response.status_code, "rejected")
        status = "error" if response.status_code >= 500 else status
        return Outcome(delivery, response.status_code, status, None, monotonic(), response.text)
    card = response.json()
    outcome = Outcome(delivery, response.status_code, "accepted", card.get("id"), monotonic())
    if method == "POST":
        made = parse(card["created_at"])
        outcome.made_at = made
        if not sent - STAMP_SLACK <= made <= answered + STAMP_SLACK:
            outcome.status, outcome.detail = "rejected", f"created_at {card['created_at']}"
    return outcome


async def _shown_before_cleared(
    gateway: Gateway, account_id: str, path: str, body: dict[str, Any]
) -> None:
    """A person clears a field they see: wait until the card shows the values the change
    clears, which the contact's earlier events fill in once the customers service applied
    them (an empty field cleared is no change, docs/domain.md, contact data in later events)."""
    cleared = [name for name, value in body.items() if value is None]
    if not cleared:
        return

    async def card() -> dict[str, Any]:
        response = await gateway.request("GET", path, account_id)
        return dict(response.json()) if response.status_code == 200 else {}

    def shows_them(read: dict[str, Any]) -> bool:
        return all(read.get(name) is not None for name in cleared)

    await poll(card, shows_them, monotonic() + SEEN_PATIENCE_S)


async def _send(
    gateway: Gateway, items: list[Delivery], customers: dict[str, str]
) -> list[Outcome]:
    first = items[0]
    if first.route == "settings":
        return [await _send_settings(gateway, first)]
    if first.route == "person":
        return [await _send_person(gateway, first, customers.get(first.contact))]
    if first.route in PROVIDER_ROUTES:
        return [await _send_provider(gateway, first, customers.get(first.contact))]
    if first.batch is not None:
        return await _send_batch(gateway, items)
    if first.route in ("dm", "capi"):
        response = await gateway.webhook(PATHS[first.route], first.event_id, first.body)
    else:
        response = await gateway.request("POST", "/events", first.account_id, json=first.body)
    return [_single(first, response)]


async def replay(
    gateway: Gateway,
    deliveries: list[Delivery],
    rate: float,
    advance: Callable[[int], None] = lambda _: None,
    on_outcome: Callable[[Outcome], None] = lambda _: None,
    hold: Callable[[int], Awaitable[None]] | None = None,
) -> Replay:
    """Release sends at `rate` events per second; a contact's send waits for its previous one.
    `hold(released)` is awaited before each send is released (the chaos suite holds the replay
    there); the time it holds shifts the rest of the schedule instead of bunching it up."""
    result = Replay()
    limit = asyncio.Semaphore(IN_FLIGHT)
    last_of_contact: dict[str, asyncio.Task[None]] = {}
    customers: dict[str, str] = {}  # contact → the customer id ingest answered

    async def run(items: list[Delivery], before: list[asyncio.Task[None]]) -> None:
        await asyncio.gather(*before)
        async with limit:
            began = monotonic()
            outcomes = await _send(gateway, items, customers)
        for outcome in outcomes:
            if outcome.customer_id:
                customers.setdefault(outcome.delivery.contact, outcome.customer_id)
            if outcome.accepted_at is not None:
                outcome.answer_s = outcome.accepted_at - began
            result.outcomes.append(outcome)
            on_outcome(outcome)
        advance(len(items))

    result.started = monotonic()
    released = 0
    held = 0.0
    for items in sends(deliveries):
        if hold is not None:
            holding_since = monotonic()
            await hold(released)
            held += monotonic() - holding_since
        due = result.started + held + released / rate
        if (wait := due - monotonic()) > 0:
            await asyncio.sleep(wait)
        contacts = {item.contact for item in items}
        # A send that waits for another contact's (a person's correction of their identity).
        awaited = contacts | {item.waits_for for item in items if item.waits_for}
        before = [last_of_contact[c] for c in awaited if c in last_of_contact]
        task = asyncio.create_task(run(items, before))
        for contact in contacts:
            last_of_contact[contact] = task
        released += len(items)
    await asyncio.gather(*last_of_contact.values())
    result.finished = monotonic()
    result.retries = gateway.retries
    return result
