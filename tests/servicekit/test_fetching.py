"""A consumer's Fetching reaches the FastStream subscriber it is registered as."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from crm_servicekit.batch_apply import BatchApplier
from crm_servicekit.consumer import Fetching, register_consumer


async def _nothing(*_: object) -> None:
    return None


def test_the_batch_knobs_are_the_subscribers() -> None:
    broker = KafkaBroker("127.0.0.1:1")  # never connected
    applier = BatchApplier(None, _nothing, "svc", "svc-group", _nothing)  # type: ignore[arg-type]
    register_consumer(broker, applier, fetching=Fetching(max_records=7, batch_timeout_ms=37))
    (subscriber,) = broker.subscribers
    assert (subscriber.max_records, subscriber.batch_timeout_ms) == (7, 37)  # type: ignore[attr-defined]
