"""Whole-account readings: every customer's pipeline state, reminders and next best action
from the list endpoints, a few pages per account instead of three reads per customer.

The checker settles with them what the lists show as the oracle expects, and reads the cards
of the rest one by one (checker.check_customers): those still catching up when few are left,
the mismatches, and what a list cannot show (a customer with no next action is not in the
who-next list)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from crm_backtest.client import Gateway, monotonic
from crm_backtest.shapes import (
    card_compared,
    card_shown,
    nba_shown,
    pipeline_shown,
    reminders_shown,
)

PIPELINE, REMINDERS, NBA, CARD = "pipeline state", "reminders", "next best action", "card"
ABSENT: Final = object()
# Below this many unsettled checks, reading each card costs less than reading every list.
HAND_OVER_AT = 50

Check = tuple[str, str]  # (check name, contact)


@dataclass
class AccountReading:
    """What an account's lists show, by customer id."""

    pipeline: dict[str, dict[str, Any]] = field(default_factory=dict)
    reminders: dict[str, Counter[tuple[str, str, str]]] = field(default_factory=dict)
    nba: dict[str, dict[str, Any]] = field(default_factory=dict)
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    reminders_read: bool = False

    def shown(self, check: str, customer_id: str) -> Any:
        if check == CARD:
            return self.cards.get(customer_id, ABSENT)
        if check == REMINDERS:
            # The list holds every reminder of the account: none listed is none at all.
            return self.reminders.get(customer_id, Counter()) if self.reminders_read else ABSENT
        found = self.pipeline if check == PIPELINE else self.nba
        return found.get(customer_id, ABSENT)


def listed(check: str, wanted: Any) -> bool:
    """Whether the lists can show the wanted value (who-next lists priorities above 0)."""
    return check != NBA or wanted["priority"] > 0


async def read_account(
    gateway: Gateway, account: str, as_of: str, cards: bool = False
) -> AccountReading:
    """`cards`: also the cards' contact data (the card check, with the card stories only)."""
    customers, reminders, nba = await asyncio.gather(
        _listed(gateway, "/customers", account),
        _listed(gateway, "/reminders", account),
        _listed(gateway, "/nba", account, as_of=as_of),
    )
    reading = AccountReading()
    for customer in customers or ():
        reading.pipeline[customer["id"]] = pipeline_shown(customer)
        if cards:
            reading.cards[customer["id"]] = card_shown(customer)
    if reminders is not None:
        by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for reminder in reminders:
            by_customer[reminder["customer_id"]].append(reminder)
        reading.reminders = {c: reminders_shown(items) for c, items in by_customer.items()}
        reading.reminders_read = True
    for recommendation in nba or ():
        reading.nba[recommendation["customer_id"]] = nba_shown(recommendation)
    return reading


async def _listed(
    gateway: Gateway, path: str, account: str, **params: Any
) -> list[dict[str, Any]] | None:
    try:
        return await gateway.list_all(path, account, **params)
    except httpx.HTTPStatusError:
        return None  # settles nothing; the cards read afterwards report the problem


async def settle_in_bulk(
    gateway: Gateway,
    as_of: str,
    pending: dict[Check, tuple[str, str, Any]],
    deadline: float,
    settled: Callable[[str, str], None],
) -> None:
    """Read the accounts' lists until fewer than HAND_OVER_AT of `pending` ((check, contact)
    → (account, customer id, wanted)) are left or the deadline passes; each check a reading
    shows as wanted leaves `pending` through `settled`."""
    delay = 0.05
    while len(pending) >= HAND_OVER_AT:
        accounts = sorted({account for account, _, _ in pending.values()})
        cards = any(check == CARD for check, _ in pending)
        started = monotonic()
        readings = dict(
            zip(
                accounts,
                await asyncio.gather(*(read_account(gateway, a, as_of, cards) for a in accounts)),
                strict=True,
            )
        )
        spent = monotonic() - started
        for key, (account, customer_id, wanted) in list(pending.items()):
            shown = readings[account].shown(key[0], customer_id)
            if key[0] == CARD:
                shown = card_compared(shown, wanted)
            if shown == wanted:
                del pending[key]
                settled(*key)
        if monotonic() >= deadline:
            return
        # A system still catching up pays for each reading: spend at most half the time on it.
        await asyncio.sleep(max(delay, spent))
        delay = min(delay * 1.5, 1.0)
