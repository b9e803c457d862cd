"""Kafka topic names, partitioning and the headers every message carries, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

EVENTS_TOPIC: Final = "crm.events.v1"
DLQ_TOPIC: Final = "crm.events.v1.dlq"
# Which dead letters an operator dealt with (`crm dlq resolve`, `replay`): compacted, keyed by
# the letter's id, one partition.
DLQ_RESOLVED_TOPIC: Final = f"{DLQ_TOPIC}.resolved"

# Fixed up front: adding partitions later would re-key customers onto other partitions
# and break the per-customer order every consumer relies on.
PARTITIONS: Final = 12

# The topic is the system of record that rebuilds replay, so it keeps everything.
TOPIC_CONFIG: Final[dict[str, str]] = {"retention.ms": "-1", "cleanup.policy": "delete"}

HEADER_EVENT_NAME: Final = "event_name"
HEADER_ACCOUNT_ID: Final = "account_id"
HEADER_EVENT_ID: Final = "event_id"
REQUIRED_HEADERS: Final = (HEADER_EVENT_NAME, HEADER_ACCOUNT_ID, HEADER_EVENT_ID)
# W3C trace context of the span that published the message, when tracing is on: a consumer
# continues that trace. Absent when tracing is off.
HEADER_TRACEPARENT: Final = "traceparent"
HEADER_TRACESTATE: Final = "tracestate"
TRACE_HEADERS: Final = (HEADER_TRACEPARENT, HEADER_TRACESTATE)

# Extra headers on a dead letter, beside the original key, value and headers.
DLQ_HEADER_ERROR: Final = "dlq_error"
DLQ_HEADER_ERROR_KIND: Final = "dlq_error_kind"
DLQ_HEADER_SOURCE_TOPIC: Final = "dlq_source_topic"
DLQ_HEADER_SOURCE_PARTITION: Final = "dlq_source_partition"
DLQ_HEADER_SOURCE_OFFSET: Final = "dlq_source_offset"
DLQ_HEADER_ATTEMPTS: Final = "dlq_attempts"
DLQ_HEADER_CONSUMER_GROUP: Final = "dlq_consumer_group"
# Header values are bytes on the wire; a traceback can be long, so the error is capped.
DLQ_ERROR_MAX_BYTES: Final = 16_000
# Every header a dead letter adds, and what it holds (the AsyncAPI document publishes these).
DLQ_HEADERS: Final[Mapping[str, str]] = {
    DLQ_HEADER_ERROR: f"the error (its last {DLQ_ERROR_MAX_BYTES} bytes)",
    DLQ_HEADER_ERROR_KIND: "`invalid_payload` (the message did not decode),"
    " `unknown_account` (its account is not in the accounts file any more) or"
    " `handler_error` (the consumer failed on it, every try)",
    DLQ_HEADER_SOURCE_TOPIC: "the topic the message was read from",
    DLQ_HEADER_SOURCE_PARTITION: "its partition, in decimal",
    DLQ_HEADER_SOURCE_OFFSET: "its offset, in decimal",
    DLQ_HEADER_ATTEMPTS: "how many times the consumer tried it, in decimal",
    DLQ_HEADER_CONSUMER_GROUP: "the consumer group that gave up on it",
}


def message_headers(
    event_name: str,
    account_id: str,
    event_id: str,
    trace_context: Mapping[str, str | None] | None = None,
) -> list[tuple[str, bytes]]:
    """The Kafka headers that let a consumer skip a message without decoding its body, and
    the trace context's (traceparent, tracestate) when one is given."""
    headers = [
        (HEADER_EVENT_NAME, event_name.encode()),
        (HEADER_ACCOUNT_ID, account_id.encode()),
        (HEADER_EVENT_ID, event_id.encode()),
    ]
    if trace_context:
        for name in TRACE_HEADERS:
            value = trace_context.get(name)
            if value:
                headers.append((name, value.encode()))
    return headers


def headers_dict(headers: object) -> dict[str, str]:
    """Decode Kafka headers (a sequence of (name, bytes) pairs) into a dict of strings."""
    decoded: dict[str, str] = {}
    for name, value in headers or ():  # type: ignore[attr-defined]
        if isinstance(value, bytes):
            decoded[str(name)] = value.decode("utf-8", errors="replace")
        elif value is not None:
            decoded[str(name)] = str(value)
    return decoded
