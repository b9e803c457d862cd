"""The account figures (stats) the system shows, compared with the oracle's on top of what the
accounts held before the replay, each account's reading polled until it matches or the
deadline passes."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from crm_backtest.client import Gateway
from crm_backtest.clock import iso, parse
from crm_backtest.expectations import Expectations, Period, flatten, is_additive
from crm_backtest.pipeline import OPEN_STAGES
from crm_backtest.readings import poll, problem
from crm_backtest.report import CheckResult, Mismatch


def same_number(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return bool(expected == actual)
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    return abs(float(expected) - float(actual)) <= 1e-6


async def read_stats(gateway: Gateway, account: str, period: Period, as_of: str) -> Any:
    params = {"period": "custom", "from": iso(period.start), "to": iso(period.end), "as_of": as_of}
    response = await gateway.request("GET", "/customers/stats", account, params=params)
    if response.status_code != 200:
        return problem(response)
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
        return problem(error.response)
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
