"""Helpers for the runtime's integration tests: events, producing, polling, consumer processes."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_devstack.kafka_testing import eventually, read_records
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.consumer_lag import OffsetsReader
from crm_servicekit.kafka import (
    OutgoingRecord,
    idempotent_producer,
    publish_in_order,
    record_of,
)

# eventually is the shared one, re-exported for this suite's tests.
__all__ = ["eventually"]

EFFECTS_APP = Path(__file__).parent / "effects_app.py"
RELAY_APP = Path(__file__).parent / "relay_app.py"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def message_sent(customer: uuid.UUID, n: int, account: str = "acme") -> EventEnvelope:
    return EventEnvelope(
        event_name="MESSAGE_SENT",
        event_id=f"evt-{customer.hex[:8]}-{n}",
        timestamp=T0 + timedelta(seconds=n),
        account_id=account,
        customer_id=customer,
        source="ig",
        properties={"channel": "ig"},
        received_at=T0,
        producer="tests",
    )


async def produce(bootstrap: str, records: list[OutgoingRecord]) -> None:
    producer = idempotent_producer(bootstrap, client_id="tests")
    await producer.start()
    try:
        await publish_in_order(producer, records)
    finally:
        await producer.stop()


def records_for(events: list[EventEnvelope], topic: str) -> list[OutgoingRecord]:
    return [record_of(event, topic) for event in events]


async def committed_everything(bootstrap: str, topic: str, group: str) -> bool:
    """True when the group's committed offsets reached the end of every partition."""
    async with OffsetsReader(bootstrap, client_id="tests") as reader:
        offsets = await reader.group_offsets(group, topic)
    return not any(offsets.lag().values())


async def read_all(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes, int]]:
    """Every (key, value, partition) on a topic, from the start to its current end."""
    return [
        (record.key, record.value, record.partition)
        for record in await read_records(bootstrap, topic)
    ]


class AppProcess:
    """A test app in its own process, so it can be killed like a real deployment."""

    def __init__(self, script: Path, *args: str) -> None:
        self.script = script
        self.args = list(args)
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, *extra: str) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(self.script), *self.args, *extra, stdout=asyncio.subprocess.PIPE
        )
        assert self.process.stdout is not None
        async with asyncio.timeout(120):
            while (line := await self.process.stdout.readline()).strip() != b"ready":
                assert line, "the consumer process exited before it was ready"

    async def printed(self, text: str, within_s: float = 120.0) -> str:
        """Read what the process prints until a line holds `text` (its log says what it met)."""
        assert self.process is not None
        assert self.process.stdout is not None
        async with asyncio.timeout(within_s):
            while line := (await self.process.stdout.readline()).decode():
                if text in line:
                    return line
        raise AssertionError(f"the process exited without printing {text!r}")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no cleanup, no commit
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), timeout=60)


class ConsumerProcess(AppProcess):
    """The effects app: a consumer whose every applied event adds one effect row."""

    def __init__(self, dsn: str, bootstrap: str, topic: str, group: str, dlq_topic: str) -> None:
        super().__init__(EFFECTS_APP, dsn, bootstrap, topic, group, dlq_topic)


class RelayProcess(AppProcess):
    def __init__(self, dsn: str, bootstrap: str, service: str) -> None:
        super().__init__(RELAY_APP, dsn, bootstrap, service)
