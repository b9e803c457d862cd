"""A consumer's Fetching reaches the FastStream subscriber it is registered as, and the
consumer it builds: the broker may hold a fetch up to its wait to gather its bytes."""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker

from crm_servicekit.batch_apply import BatchApplier
from crm_servicekit.consumer import Fetching, register_consumer


async def _nothing(*_: object) -> None:
    return None


def subscribed(fetching: Fetching) -> Any:
    broker = KafkaBroker("127.0.0.1:1")  # never connected
    applier = BatchApplier(None, _nothing, "svc", "svc-group", _nothing)  # type: ignore[arg-type]
    register_consumer(broker, applier, fetching=fetching)
    (subscriber,) = broker.subscribers
    return subscriber


def fetch_wait_and_bytes(fetching: Fetching) -> tuple[int, int]:
    """What aiokafka's consumer is given: its arguments, as FastStream keeps them."""
    arguments = subscribed(fetching)._connection_args
    return arguments["fetch_max_wait_ms"], arguments["fetch_min_bytes"]


def test_the_batch_knobs_are_the_subscribers() -> None:
    subscriber = subscribed(Fetching(max_records=7, batch_timeout_ms=37))
    assert (subscriber.max_records, subscriber.batch_timeout_ms) == (7, 37)


def test_a_consumer_waits_for_big_batches_unless_it_is_prompt() -> None:
    assert fetch_wait_and_bytes(Fetching()) == (250, 256 << 10)
    assert fetch_wait_and_bytes(Fetching.prompt()) == (100, 64 << 10)
    assert fetch_wait_and_bytes(Fetching(fetch_max_wait_ms=1000, fetch_min_bytes=1)) == (1000, 1)
