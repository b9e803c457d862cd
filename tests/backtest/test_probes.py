"""The reminder probe: fine-grained while few contacts are watched, bounded load always."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from crm_backtest.client import Credentials, Gateway, monotonic
from crm_backtest.expectations import expect
from crm_backtest.generator import generate
from crm_backtest.history import History
from crm_backtest.probes import ReminderProbe
from crm_backtest.replayer import Outcome

ANCHOR = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _probe() -> tuple[History, ReminderProbe]:
    history = generate(60, seed=5, anchor=ANCHOR)
    gateway = Gateway("http://gateway.test/api", Credentials("s" * 32, "whsec_c2VjcmV0"))
    return history, ReminderProbe(gateway, history, expect(history), watch_for_s=30.0)


def test_the_watchers_together_never_read_more_than_the_budget() -> None:
    _, probe = _probe()
    for waiting in range(1, 500):
        probe._waiting = waiting
        assert waiting / probe.interval() <= probe.READS_PER_S + 1e-9
    probe._waiting = 1
    assert probe.interval() == probe.BRISK_S  # one watcher alone reads every 25 ms


async def test_a_watcher_reads_until_the_reminders_show_and_then_stops() -> None:
    history, probe = _probe()
    event_id, contact = next(iter(probe.watched.items()))
    wanted = probe.expectations.contacts[contact].reminders
    answers: list[Any] = [Counter(), {"http_status": 503}, wanted]
    waiting_at_each_read: list[int] = []

    async def reminders(account: str, customer_id: str) -> Any:
        waiting_at_each_read.append(probe._waiting)
        return answers[len(waiting_at_each_read) - 1]

    probe.reads.reminders = reminders  # type: ignore[method-assign]
    delivery = next(d for d in history.deliveries if d.event_id == event_id and not d.duplicate)
    probe.on_outcome(Outcome(delivery, 202, "accepted", customer_id="c-1", accepted_at=monotonic()))
    await asyncio.wait_for(probe.finish(), timeout=30)
    assert waiting_at_each_read == [1, 1, 1]  # read until shown, then no more
    assert len(probe.latencies) == 1
    assert probe.missed == 0
    assert probe._waiting == 0
