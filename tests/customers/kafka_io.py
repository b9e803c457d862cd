"""Reading and writing the test topic, and polling for an outcome (never a fixed sleep)."""

from __future__ import annotations

from collections.abc import Sequence

from crm_devstack.kafka_testing import eventually, produce_events, read_events
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope

__all__ = ["eventually", "named", "produce", "read_events"]


async def produce(bootstrap: str, topic: str, events: Sequence[EventEnvelope]) -> None:
    await produce_events(bootstrap, events, topic)


def named(events: Sequence[EventEnvelope], name: EventName) -> list[EventEnvelope]:
    return [event for event in events if event.event_name is name]
