"""End-to-end latency while the replay runs: from ingest's answer for a contact's last event
to the moment its expected reminders are readable through the gateway."""

from __future__ import annotations

import asyncio

from crm_backtest.checker import CustomerReads
from crm_backtest.client import Gateway, monotonic
from crm_backtest.clock import iso
from crm_backtest.expectations import Expectations
from crm_backtest.history import History
from crm_backtest.replayer import Outcome


class ReminderProbe:
    """Watches a sample of contacts, each read as often as a shared budget allows: every 25 ms
    while few are waiting, so a latency is seen within about that much of when it happened
    (reads backing off from 20 to 200 ms saw a 170 ms latency at 263 ms), and never more than
    READS_PER_S reads in all, whatever the number waiting (a system that lags has many): each
    read costs the system measured about 1.5 ms of CPU."""

    BRISK_S = 0.025
    READS_PER_S = 50

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
            # A person's action is made at the request's time, which the expectations here
            # do not know yet: only events are watched.
            if not delivery.duplicate and delivery.route != "person":
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
        self._waiting = 0

    def on_outcome(self, outcome: Outcome) -> None:
        delivery = outcome.delivery
        contact = self.watched.get(delivery.event_id)
        if contact is None or delivery.duplicate or outcome.status != "accepted":
            return
        if outcome.customer_id is None or outcome.accepted_at is None:
            return
        watch = self._watch(contact, outcome.customer_id, outcome.accepted_at)
        self._tasks.append(asyncio.create_task(watch))

    def interval(self) -> float:
        """Seconds between one watcher's reads, with `_waiting` watchers sharing the budget."""
        return max(self.BRISK_S, self._waiting / self.READS_PER_S)

    async def _watch(self, contact: str, customer_id: str, accepted_at: float) -> None:
        expected = self.expectations.contacts[contact]
        deadline = accepted_at + self.watch_for_s
        self._waiting += 1
        try:
            while True:
                shown = await self.reads.reminders(expected.account_id, customer_id)
                if shown == expected.reminders:
                    self.latencies.append(monotonic() - accepted_at)
                    return
                if monotonic() >= deadline:
                    self.missed += 1
                    return
                await asyncio.sleep(self.interval())
        finally:
            self._waiting -= 1

    async def finish(self) -> None:
        await asyncio.gather(*self._tasks)
