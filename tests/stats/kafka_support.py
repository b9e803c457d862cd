"""Producing events and polling for a result (a copy of what the stats tests need from
tests/servicekit/kafka_support.py, which is not importable across test packages)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.kafka import idempotent_producer, publish_in_order, record_of

T = TypeVar("T")


async def produce(bootstrap: str, events: list[EventEnvelope], topic: str) -> None:
    producer = idempotent_producer(bootstrap, client_id="stats-tests")
    await producer.start()
    try:
        await publish_in_order(producer, [record_of(event, topic) for event in events])
    finally:
        await producer.stop()


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    within_s: float = 120.0,
    interval: float = 0.2,
) -> T:
    """Poll until done(probe()) holds; fail with the last value after a generous timeout."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        value = await probe()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached in {within_s}s; last value: {value!r}")
        await asyncio.sleep(interval)
