"""One consumed Kafka message, as the consumer runtime and the DLQ see it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_schemas.topics import HEADER_ACCOUNT_ID, HEADER_EVENT_ID, HEADER_EVENT_NAME, headers_dict


@dataclass(frozen=True)
class Delivery:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = ()
    decoded_headers: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoded_headers", headers_dict(self.headers))

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
        return self.decoded_headers.get(HEADER_EVENT_NAME)

    @property
    def account_id(self) -> str | None:
        return self.decoded_headers.get(HEADER_ACCOUNT_ID)

    @property
    def event_id(self) -> str | None:
        return self.decoded_headers.get(HEADER_EVENT_ID)

    @property
    def position(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"
