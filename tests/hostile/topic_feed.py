"""Account B's facts, published onto a module's topic as ingest and customers would, and a
wait until the served app has consumed them (polled, with a time limit)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from served_app import ModuleServers

from crm_devstack.kafka_testing import produce_events
from crm_devstack.servers_for_tests import run_coroutine
from crm_schemas.envelope import EventEnvelope

V = TypeVar("V")
CONSUMED_WITHIN_S = 60.0


def fact(
    name: str,
    account: str,
    customer: uuid.UUID,
    at: datetime,
    properties: dict[str, Any] | None = None,
    source: str = "ig",
) -> EventEnvelope:
    return EventEnvelope(
        event_name=name,
        event_id=f"hostile-{name.lower()}-{customer.hex[:12]}",
        timestamp=at,
        account_id=account,
        customer_id=customer,
        source=source,
        properties=properties or {},
        received_at=at,
        producer="tests",
    )


def new_customer(account: str, customer: uuid.UUID, at: datetime) -> list[EventEnvelope]:
    """A customer the customers service created, who then started a DM."""
    created = {
        "customer": {"name": f"{account} customer"},
        "state": {"status": "lead"},
        "created_at": at.isoformat(),
    }
    return [
        fact("CUSTOMER_CREATED", account, customer, at, created, source="system"),
        fact("DM_STARTED", account, customer, at, {"text": "hello"}),
    ]


def publish(servers: ModuleServers, events: Sequence[EventEnvelope]) -> None:
    run_coroutine(lambda: produce_events(servers.kafka_bootstrap, events, servers.topic))


def until(probe: Callable[[], V], done: Callable[[V], bool]) -> V:
    """Poll until done(probe()); fail with the last value after the time limit."""
    deadline = time.monotonic() + CONSUMED_WITHIN_S
    while True:
        value = probe()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"not consumed in {CONSUMED_WITHIN_S}s: {value!r}"
        time.sleep(0.1)
