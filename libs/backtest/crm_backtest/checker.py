"""Reads what the system shows through the gateway and compares it with the oracle, polling
each read until it matches or the deadline passes (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crm_backtest.bulk_reads import NBA, PIPELINE, REMINDERS, listed, settle_in_bulk
from crm_backtest.client import Gateway, monotonic
from crm_backtest.clock import iso, parse
from crm_backtest.expectations import ContactExpectation, Expectations, Period, flatten, is_additive
from crm_backtest.pipeline import OPEN_STAGES
from crm_backtest.replayer import Replay
from crm_backtest.report import CheckResult, Mismatch
from crm_backtest.shapes import nba_shown, pipeline_shown, reminders_shown

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
        return pipeline_shown(response.json())

    async def reminders(self, account: str, customer_id: str) -> Any:
        try:
            items = await self.gateway.list_all("/reminders", account, customer_id=customer_id)
        except httpx.HTTPStatusError as error:
            return _problem(error.response)
        return reminders_shown(items)

    async def nba(self, account: str, customer_id: str) -> Any:
        path = f"/nba/customer/{customer_id}"
        response = await self.gateway.request("GET", path, account, params={"as_of": self.as_of})
        if response.status_code != 200:
            return _problem(response)
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
    by_name = {PIPELINE: reads.pipeline, REMINDERS: reads.reminders, NBA: reads.nba}
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
        fetch = functools.partial(by_name[name], expected.account_id, customer_id)
        async with limit:
            await _compare(name, fetch, want, expected, customer_id, results[name], deadline)
        done(contact)

    await asyncio.gather(*(one(name, contact) for name, contact in by_card))


def _wanted(expected: ContactExpectation) -> dict[str, Any]:
    """What the oracle expects a contact's card, reminders and NBA to show, by check name."""
    return {PIPELINE: expected.pipeline, REMINDERS: expected.reminders, NBA: expected.nba}


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


# The one additive figure that moves without events: a customer's next_action_date mirrors
# its NBA, whose timers fire on the wall clock (a video's feedback becomes due, a reminder
# overdue). Customers of earlier runs in the same account therefore change it between the
# baseline and the check, so its baseline is recounted from the customers API at each reading.
DRIFTING = "counts.next_actions_overdue"
# This run's customers move it too, once the wall clock passes one of their NBA's transition
# times (a run of 10,000 contacts lasts over ten minutes). A reading shows each customer's NBA
# as of some instant between a little before the reading (the timer's tick, then NBA_CHANGED
# through the customers service to stats) and its end; the figure is accepted anywhere in
# the range the oracle gives for that window.
MIRROR_LAG = timedelta(seconds=30)


def wall_clock() -> datetime:
    return datetime.now(UTC)


def _late(customer: dict[str, Any], as_of: datetime) -> bool:
    """Counted in next_actions_overdue, as the customers service shows the customer."""
    due = customer.get("next_action_date")
    if customer.get("status") not in OPEN_STAGES or not due:
        return False
    return parse(due) < as_of


async def count_next_actions_overdue(
    gateway: Gateway, account: str, as_of: datetime, leave_out: set[str]
) -> int | dict[str, Any]:
    """Customers in open stages whose next_action_date is before as_of, as the customers
    service shows them now, leaving out `leave_out` (this run's customers)."""
    try:
        items = await gateway.list_all("/customers", account)
    except httpx.HTTPStatusError as error:
        return _problem(error.response)
    return sum(c["id"] not in leave_out and _late(c, as_of) for c in items)


async def explain_next_actions_overdue(
    gateway: Gateway, expectations: Expectations, account: str, customer_ids: dict[str, str]
) -> list[Mismatch]:
    """This run's customers the figure counts where the oracle does not, or the reverse:
    the mirrored next action (customers API) against the NBA the oracle expects at as_of."""
    try:
        shown = {c["id"]: c for c in await gateway.list_all("/customers", account)}
    except httpx.HTTPStatusError:
        return []
    as_of = expectations.as_of
    found = []
    for contact, expected in expectations.contacts.items():
        customer_id = customer_ids.get(contact)
        if expected.account_id != account or customer_id not in shown:
            continue
        due = expected.nba["due_at"]
        counted = (
            expected.pipeline["status"] in OPEN_STAGES
            and expected.nba["action"] != "none"
            and due is not None
            and parse(due) < as_of
        )
        card = shown[customer_id]
        if counted != _late(card, as_of):
            got = {k: card.get(k) for k in ("status", "next_action", "next_action_date")}
            found.append(Mismatch(
                "figures", f"{account}/{DRIFTING}: {customer_id}",
                {"counted": counted, "nba": expected.nba}, {"counted": not counted, **got},
                contact, expected.event_ids,
            ))  # fmt: skip
    return found


def _matches(actual: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(same_number(v, actual.get(k, "missing")) for k, v in wanted.items())


async def check_stats(
    gateway: Gateway,
    expectations: Expectations,
    baselines: dict[tuple[str, str], dict[str, Any]],
    result: CheckResult,
    deadline: float,
    customer_ids: dict[str, str],
    now: Callable[[], datetime] = wall_clock,
) -> dict[str, float]:
    """Compare every figure; returns, per account, when all its figures matched.

    `customer_ids` are this run's (contact → id): on an account that held others before (a
    non-zero next_actions_overdue baseline) that figure's baseline is recounted without them;
    a mismatch of it is explained customer by customer."""
    matched_at: dict[str, float] = {}
    ours = set(customer_ids.values())
    as_of = iso(expectations.as_of)

    async def one(account: str) -> None:
        periods = expectations.periods
        expected = {p.name: expectations.stats[(account, p.name)] for p in periods}
        targets, recount = {}, False
        for period in periods:
            baseline = baselines[(account, period.name)]
            targets[period.name], skipped = stats_target(expected[period.name], baseline)
            result.skipped += len(skipped)
            recount |= DRIFTING in targets[period.name] and bool(baseline.get(DRIFTING))

        async def fetch() -> dict[str, tuple[Any, dict[str, Any]]]:
            """Per period: the figures read and the figures wanted."""
            started = now()
            reading = await read(account)
            window = (max(expectations.as_of, started - MIRROR_LAG), now())
            drift = functools.cache(
                lambda: expectations.next_actions_overdue_range(account, window)
            )
            return {name: within_drift(pair, drift) for name, pair in reading.items()}

        async def read(account: str) -> dict[str, tuple[Any, dict[str, Any]]]:
            actual = {p.name: await read_stats(gateway, account, p, as_of) for p in periods}
            reading = {name: (actual[name], targets[name]) for name in targets}
            rest = {n: {k: v for k, v in t.items() if k != DRIFTING} for n, t in targets.items()}
            # Listing the account's customers is costly on a long-used system: once per
            # reading, and only when every other figure has caught up.
            if not recount or not all(_matches(actual[n], rest[n]) for n in rest):
                return reading
            others = await count_next_actions_overdue(gateway, account, expectations.as_of, ours)
            if not isinstance(others, int):
                return {name: (others, wanted) for name, (_, wanted) in reading.items()}
            return {
                name: (actual[name], {**wanted, DRIFTING: expected[name][DRIFTING] + others})
                for name, wanted in targets.items()
            }

        # This run's share at as_of: computed once, and only when a reading needs it.
        at_as_of = functools.cache(
            lambda: expectations.next_actions_overdue(account, expectations.as_of)
        )

        def within_drift(
            pair: tuple[Any, dict[str, Any]], drift: Callable[[], tuple[int, int]]
        ) -> tuple[Any, dict[str, Any]]:
            """The reading, with the drifting figure's wanted value set to the one read when
            this run's customers can give it within the reading's window."""
            actual, wanted = pair
            got = actual.get(DRIFTING) if isinstance(actual, dict) else None
            if DRIFTING not in wanted or not isinstance(got, int) or got == wanted[DRIFTING]:
                return pair
            low, high = drift()
            offset = wanted[DRIFTING] - at_as_of()  # the other customers' share
            if low + offset <= got <= high + offset:
                return actual, {**wanted, DRIFTING: got}
            return pair

        def matches(reading: dict[str, tuple[Any, dict[str, Any]]]) -> bool:
            return all(_matches(*pair) for pair in reading.values())

        reading, when = await poll(fetch, matches, deadline)
        if when is not None:
            matched_at[account] = when
        drifting_off = False
        for name, (actual, wanted) in reading.items():
            for key, value in wanted.items():
                got = actual.get(key, "missing")
                ok = same_number(value, got)
                drifting_off |= key == DRIFTING and not ok
                subject = f"{account}/{name}/{key}"
                result.record(ok, Mismatch("figures", subject, value, got))
        if drifting_off:
            explained = await explain_next_actions_overdue(
                gateway, expectations, account, customer_ids
            )
            result.mismatches.extend(explained)

    accounts = sorted({account for account, _ in expectations.stats})
    await asyncio.gather(*(one(a) for a in accounts))
    return matched_at
