"""One consumed Kafka message, as the consumer runtime and the DLQ see it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from crm_schemas.topics import HEADER_ACCOUNT_ID, HEADER_EVENT_ID, HEADER_EVENT_NAME, headers_dict


@dataclass(frozen=True)
class Delivery:
    """Headers are decoded when first asked for: most messages a service reads are skipped
    by their event name alone, and every consumer reads the whole topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = ()

    @cached_property
    def decoded_headers(self) -> dict[str, str]:
        return headers_dict(self.headers)

    @classmethod
    def from_record(cls, record: Any) -> Delivery:
        """From an aiokafka ConsumerRecord."""
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value or b"",
            headers=tuple(record.headers or ()),
        )

    @property
    def event_name(self) -> str | None:
        for name, value in self.headers:  # the skip test of every message: no dict built
            if name == HEADER_EVENT_NAME:
                return value.decode("utf-8", errors="replace") if value is not None else None
        return None

    @property
    def account_id(self) -> str | None:
        return self.decoded_headers.get(HEADER_ACCOUNT_ID)

    @property
    def event_id(self) -> str | None:
        return self.decoded_headers.get(HEADER_EVENT_ID)

    @property
    def position(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"
