"""Reads what the system shows through the gateway and compares it with the oracle, polling
each read until it matches or the deadline passes (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from crm_backtest.client import Gateway, monotonic
from crm_backtest.clock import iso, parse
from crm_backtest.expectations import ContactExpectation, Expectations, Period, flatten, is_additive
from crm_backtest.replayer import Replay
from crm_backtest.report import CheckResult, Mismatch

PARALLEL_READS = 32


async def poll(
    fetch: Callable[[], Awaitable[Any]],
    matches: Callable[[Any], bool],
    deadline: float,
    every: tuple[float, float] = (0.05, 1.0),
) -> tuple[Any, float | None]:
    """The first reading that matches and when it came, or the last one and None; readings
    start `every[0]` apart and back off to `every[1]`."""
    delay, longest = every
    while True:
        actual = await fetch()
        if matches(actual):
            return actual, monotonic()
        if monotonic() >= deadline:
            return actual, None
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, longest)


def _problem(response: httpx.Response) -> dict[str, Any]:
    return {"http_status": response.status_code, "body": response.text[:300]}


def same_number(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return bool(expected == actual)
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    return abs(float(expected) - float(actual)) <= 1e-6


class CustomerReads:
    """The three per-customer reads, normalized to the oracle's shapes."""

    def __init__(self, gateway: Gateway, as_of: str) -> None:
        self.gateway = gateway
        self.as_of = as_of

    async def pipeline(self, account: str, customer_id: str) -> Any:
        response = await self.gateway.request("GET", f"/customers/{customer_id}", account)
        if response.status_code != 200:
            return _problem(response)
        body = response.json()
        return {
            "status": body.get("status"),
            "booking": (body.get("booking") or {}).get("state"),
            "joined_team": body.get("joined_team"),
            "opted_out": body.get("opted_out"),
        }

    async def reminders(self, account: str, customer_id: str) -> Any:
        try:
            items = await self.gateway.list_all("/reminders", account, customer_id=customer_id)
        except httpx.HTTPStatusError as error:
            return _problem(error.response)
        return Counter((r["type"], iso(parse(r["scheduled_for"])), r["status"]) for r in items)

    async def nba(self, account: str, customer_id: str) -> Any:
        path = f"/nba/customer/{customer_id}"
        response = await self.gateway.request("GET", path, account, params={"as_of": self.as_of})
        if response.status_code != 200:
            return _problem(response)
        body = response.json()
        due = body.get("due_at")
        return {
            "action": body.get("action"),
            "priority": body.get("priority"),
            "due_at": iso(parse(due)) if due else None,
        }


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
    reads = CustomerReads(gateway, iso(expectations.as_of))
    limit = asyncio.Semaphore(PARALLEL_READS)

    async def one(expected: ContactExpectation) -> None:
        customer_id = customer_ids.get(expected.contact)
        account = expected.account_id
        checks: list[tuple[str, Callable[[str, str], Awaitable[Any]], Any]] = [
            ("pipeline state", reads.pipeline, expected.pipeline),
            ("reminders", reads.reminders, expected.reminders),
            ("next best action", reads.nba, expected.nba),
        ]
        async with limit:
            for name, read, want in checks:
                if customer_id is None:
                    results[name].record(False, Mismatch(
                        name, "no customer id", _plain(want), None, expected.contact,
                        expected.event_ids,
                    ))  # fmt: skip
                    continue
                fetch = functools.partial(read, account, customer_id)
                await _compare(name, fetch, want, expected, customer_id, results[name], deadline)
        advance(1)

    await asyncio.gather(*(one(e) for e in expectations.contacts.values()))


def _plain(value: Any) -> Any:
    """Counters as sorted lists, so the JSON report reads well."""
    if isinstance(value, Counter):
        return sorted([*key, count] for key, count in value.items())
    return value


async def read_stats(gateway: Gateway, account: str, period: Period, as_of: str) -> Any:
    params = {"period": "custom", "from": iso(period.start), "to": iso(period.end), "as_of": as_of}
    response = await gateway.request("GET", "/customers/stats", account, params=params)
    if response.status_code != 200:
        return _problem(response)
    return flatten(response.json())


async def read_baselines(
    gateway: Gateway, expectations: Expectations
) -> dict[tuple[str, str], dict[str, Any]]:
    """The figures before the replay: other runs may already have written to the accounts."""
    baselines = {}
    for account, period_name in expectations.stats:
        period = next(p for p in expectations.periods if p.name == period_name)
        baselines[(account, period_name)] = await read_stats(
            gateway, account, period, iso(expectations.as_of)
        )
    return baselines


def stats_target(
    expected: dict[str, Any], baseline: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """What to compare: additive figures on top of the baseline; the others only when the
    account held nothing in the period before (else they are listed as skipped)."""
    fresh = "http_status" not in baseline and all(
        not baseline.get(key) for key in expected if is_additive(key)
    )
    target: dict[str, Any] = {}
    skipped: list[str] = []
    for key, value in expected.items():
        if is_additive(key):
            target[key] = value + (baseline.get(key) or 0)
        elif fresh or key.endswith(("_target",)):
            target[key] = value
        else:
            skipped.append(key)
    return target, skipped


async def check_stats(
    gateway: Gateway,
    expectations: Expectations,
    baselines: dict[tuple[str, str], dict[str, Any]],
    result: CheckResult,
    deadline: float,
) -> dict[str, float]:
    """Compare every figure; returns, per account, when its whole-history figures matched."""
    matched_at: dict[str, float] = {}

    async def one(account: str, period: Period) -> None:
        expected = expectations.stats[(account, period.name)]
        target, skipped = stats_target(expected, baselines[(account, period.name)])

        def matches(actual: Any) -> bool:
            return all(same_number(v, actual.get(k, "missing")) for k, v in target.items())

        async def fetch() -> Any:
            return await read_stats(gateway, account, period, iso(expectations.as_of))

        actual, when = await poll(fetch, matches, deadline)
        if when is not None and period.name == "history":
            matched_at[account] = when
        result.skipped += len(skipped)
        for key, value in target.items():
            got = actual.get(key, "missing")
            ok = same_number(value, got)
            subject = f"{account}/{period.name}/{key}"
            result.record(ok, Mismatch("figures", subject, value, got))

    accounts = sorted({account for account, _ in expectations.stats})
    await asyncio.gather(*(one(a, p) for a in accounts for p in expectations.periods))
    return matched_at
