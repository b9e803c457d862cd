"""The consumers' batch subscriber polls again at once after an empty poll (no nap)."""

from __future__ import annotations

import inspect
from typing import Any

import anyio
import pytest
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber, LogicSubscriber

from crm_servicekit.batch_apply import BatchApplier
from crm_servicekit.batch_polling import BatchSubscriberWithoutNap, without_nap
from crm_servicekit.consumer import Fetching, register_consumer


async def _nothing(*_: object) -> None:
    return None


class _Consumer:
    """getmany answers, in turn, with what it is given."""

    def __init__(self, *answers: dict[str, list[str]]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[int, int | None]] = []

    async def getmany(self, *, timeout_ms: int, max_records: int | None) -> dict[str, list[str]]:
        self.asked.append((timeout_ms, max_records))
        return self.answers.pop(0)


def _registered() -> Any:
    broker = KafkaBroker("127.0.0.1:1")  # never connected
    applier = BatchApplier(None, _nothing, "svc", "svc-group", _nothing)  # type: ignore[arg-type]
    register_consumer(broker, applier, fetching=Fetching(max_records=7, batch_timeout_ms=37))
    (subscriber,) = broker.subscribers
    return subscriber


async def test_an_empty_poll_returns_at_once_and_records_come_in_partition_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_sleeping(_: float) -> None:
        raise AssertionError("the subscriber slept after an empty poll")

    monkeypatch.setattr(anyio, "sleep", no_sleeping)
    subscriber = _registered()
    assert type(subscriber) is BatchSubscriberWithoutNap
    consumer = _Consumer({}, {"p0": ["a", "b"], "p1": ["c"]})
    assert await subscriber.get_msg(consumer) == ()
    assert await subscriber.get_msg(consumer) == ("a", "b", "c")
    assert consumer.asked == [(37, 7), (37, 7)]


def test_the_installed_faststream_still_polls_through_get_msg() -> None:
    # The swap only matters while FastStream's consume loop asks get_msg for each poll and
    # its batch subscriber is the class we replace: fail loudly on an upgrade that changes it.
    assert "await self.get_msg(consumer)" in inspect.getsource(LogicSubscriber._run_consume_loop)
    assert "anyio.sleep" in inspect.getsource(BatchSubscriber.get_msg)  # what we take out
    assert BatchSubscriberWithoutNap.__slots__ == ()


def test_only_a_batch_subscriber_is_swapped() -> None:
    with pytest.raises(TypeError):
        without_nap(object())
