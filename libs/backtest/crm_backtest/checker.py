"""Each contact as the system shows it through the gateway, compared with the oracle: the ingest
answers, one customer per contact, and every card's pipeline state, reminders and NBA, each
read polled until it matches or the deadline passes. The figures: stats_checker."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from crm_backtest.bulk_reads import CARD, NBA, PIPELINE, REMINDERS, listed, settle_in_bulk
from crm_backtest.client import Gateway
from crm_backtest.clock import iso
from crm_backtest.expectations import ContactExpectation, Expectations
from crm_backtest.readings import poll, problem
from crm_backtest.replayer import Replay
from crm_backtest.report import CheckResult, Mismatch
from crm_backtest.shapes import (
    card_compared,
    card_shown,
    nba_shown,
    pipeline_shown,
    reminders_shown,
)

PARALLEL_READS = 32


class CustomerReads:
    """The per-customer reads, normalized to the oracle's shapes."""

    def __init__(self, gateway: Gateway, as_of: str) -> None:
        self.gateway = gateway
        self.as_of = as_of

    async def pipeline(self, account: str, customer_id: str) -> Any:
        response = await self.gateway.request("GET", f"/customers/{customer_id}", account)
        if response.status_code != 200:
            return problem(response)
        return pipeline_shown(response.json())

    async def card(self, account: str, customer_id: str) -> Any:
        response = await self.gateway.request("GET", f"/customers/{customer_id}", account)
        if response.status_code != 200:
            return problem(response)
        return card_shown(response.json())

    async def reminders(self, account: str, customer_id: str) -> Any:
        try:
            items = await self.gateway.list_all("/reminders", account, customer_id=customer_id)
        except httpx.HTTPStatusError as error:
            return problem(error.response)
        return reminders_shown(items)

    async def nba(self, account: str, customer_id: str) -> Any:
        path = f"/nba/customer/{customer_id}"
        response = await self.gateway.request("GET", path, account, params={"as_of": self.as_of})
        if response.status_code != 200:
            return problem(response)
        return nba_shown(response.json())


def check_ingest(replay: Replay, results: dict[str, CheckResult]) -> None:
    """Every original accepted, every repeat a duplicate, one customer per contact."""
    answers, identity = results["ingest answers"], results["one customer per contact"]
    customers: dict[str, set[str]] = {}
    for outcome in replay.outcomes:
        delivery = outcome.delivery
        wanted = "duplicate" if delivery.duplicate else "accepted"
        ok = outcome.status == wanted
        answers.record(ok, None if ok else Mismatch(
            "ingest answers", delivery.event_id, wanted,
            {"status": outcome.status, "http": outcome.http_status, "detail": outcome.detail},
            delivery.contact, [delivery.event_id],
        ))  # fmt: skip
        if outcome.customer_id:
            customers.setdefault(delivery.contact, set()).add(outcome.customer_id)
    for contact, ids in sorted(customers.items()):
        identity.record(len(ids) == 1, Mismatch(
            "one customer per contact", ",".join(sorted(ids)), 1, len(ids), contact,
        ))  # fmt: skip


async def _compare(
    name: str,
    fetch: Callable[[], Awaitable[Any]],
    want: Any,
    expected: ContactExpectation,
    customer_id: str,
    result: CheckResult,
    deadline: float,
) -> None:
    def matches(actual: Any) -> bool:
        return bool(actual == want)

    actual, matched = await poll(fetch, matches, deadline)
    mismatch = Mismatch(
        name, customer_id, _plain(want), _plain(actual), expected.contact, expected.event_ids
    )
    result.record(matched is not None, mismatch)


async def check_customers(
    gateway: Gateway,
    expectations: Expectations,
    customer_ids: dict[str, str],
    results: dict[str, CheckResult],
    deadline: float,
    advance: Callable[[int], None] = lambda _: None,
) -> None:
    """Each contact's pipeline state, reminders and NBA: settled from the accounts' lists while
    many are left (bulk_reads), the rest from their cards, each polled until the deadline."""
    as_of = iso(expectations.as_of)
    reads = CustomerReads(gateway, as_of)
    by_name = {
        PIPELINE: reads.pipeline, REMINDERS: reads.reminders, NBA: reads.nba, CARD: reads.card,
    }  # fmt: skip
    left: dict[str, int] = {}
    in_bulk: dict[tuple[str, str], tuple[str, str, Any]] = {}
    by_card: list[tuple[str, str]] = []
    for contact, expected in expectations.contacts.items():
        wanted = _wanted(expected)
        customer_id = customer_ids.get(contact)
        if customer_id is None:
            for name, want in wanted.items():
                results[name].record(False, Mismatch(
                    name, "no customer id", _plain(want), None, contact, expected.event_ids,
                ))  # fmt: skip
            advance(1)
            continue
        left[contact] = len(wanted)
        for name, want in wanted.items():
            if listed(name, want):
                in_bulk[(name, contact)] = (expected.account_id, customer_id, want)
            else:
                by_card.append((name, contact))

    def done(contact: str) -> None:
        left[contact] -= 1
        if not left[contact]:
            advance(1)

    def settled(name: str, contact: str) -> None:
        results[name].record(True)
        done(contact)

    await settle_in_bulk(gateway, as_of, in_bulk, deadline, settled)
    by_card += list(in_bulk)
    limit = asyncio.Semaphore(PARALLEL_READS)

    async def one(name: str, contact: str) -> None:
        expected = expectations.contacts[contact]
        customer_id = customer_ids[contact]
        want = _wanted(expected)[name]
        read = functools.partial(by_name[name], expected.account_id, customer_id)

        async def fetch() -> Any:
            shown = await read()
            return card_compared(shown, want) if name == CARD else shown

        async with limit:
            await _compare(name, fetch, want, expected, customer_id, results[name], deadline)
        done(contact)

    await asyncio.gather(*(one(name, contact) for name, contact in by_card))


def _wanted(expected: ContactExpectation) -> dict[str, Any]:
    """What the oracle expects a contact's card, reminders and NBA to show, by check name (the
    card's contact data, consent and last activity only for a history with the card stories)."""
    wanted = {PIPELINE: expected.pipeline, REMINDERS: expected.reminders, NBA: expected.nba}
    if expected.card is not None:
        wanted[CARD] = expected.card
    return wanted


def _plain(value: Any) -> Any:
    """Counters as sorted lists, so the JSON report reads well."""
    if isinstance(value, Counter):
        return sorted([*key, count] for key, count in value.items())
    return value
