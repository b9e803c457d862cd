"""End-to-end latency while the replay runs: from ingest's answer for a contact's last event
to the moment its expected reminders are readable through the gateway."""

from __future__ import annotations

import asyncio
import functools

from crm_backtest.checker import CustomerReads, poll
from crm_backtest.client import Gateway
from crm_backtest.clock import iso
from crm_backtest.expectations import Expectations
from crm_backtest.history import History
from crm_backtest.replayer import Outcome


class ReminderProbe:
    """Watches a sample of contacts. Polling starts brisk (20 ms) so the figure means something
    and backs off to 200 ms, so 50 watchers add at most ~250 reads/s to the system measured."""

    def __init__(
        self,
        gateway: Gateway,
        history: History,
        expectations: Expectations,
        watch_for_s: float = 60.0,
        samples: int = 50,
    ) -> None:
        self.watch_for_s = watch_for_s
        self.reads = CustomerReads(gateway, iso(expectations.as_of))
        self.expectations = expectations
        last: dict[str, str] = {}
        for delivery in history.deliveries:
            if not delivery.duplicate:
                last[delivery.contact] = delivery.event_id
        candidates = [
            contact
            for contact, expected in expectations.contacts.items()
            if expected.reminders and contact in last
        ]
        step = max(len(candidates) // samples, 1)
        self.watched = {last[contact]: contact for contact in candidates[::step][:samples]}
        self.latencies: list[float] = []
        self.missed = 0
        self._tasks: list[asyncio.Task[None]] = []

    def on_outcome(self, outcome: Outcome) -> None:
        delivery = outcome.delivery
        contact = self.watched.get(delivery.event_id)
        if contact is None or delivery.duplicate or outcome.status != "accepted":
            return
        if outcome.customer_id is None or outcome.accepted_at is None:
            return
        watch = self._watch(contact, outcome.customer_id, outcome.accepted_at)
        self._tasks.append(asyncio.create_task(watch))

    async def _watch(self, contact: str, customer_id: str, accepted_at: float) -> None:
        expected = self.expectations.contacts[contact]
        fetch = functools.partial(self.reads.reminders, expected.account_id, customer_id)

        def readable(actual: object) -> bool:
            return actual == expected.reminders

        _, when = await poll(fetch, readable, accepted_at + self.watch_for_s, every=(0.02, 0.2))
        if when is None:
            self.missed += 1
        else:
            self.latencies.append(when - accepted_at)

    async def finish(self) -> None:
        await asyncio.gather(*self._tasks)
