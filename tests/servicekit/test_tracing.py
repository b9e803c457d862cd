"""Trace context through the outbox and the batch applier, with tracing on and off."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from crm_devstack.kafka_testing import read_records
from crm_devstack.tracing_testing import OtlpReceiver, in_memory_spans
from crm_schemas.envelope import EventEnvelope
from crm_schemas.topics import headers_dict, message_headers
from crm_servicekit.batch_apply import LOGGED_ONE_BY_ONE, BatchApplier
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, create_pool
from crm_servicekit.delivery import Delivery
from crm_servicekit.dlq import DeadLetter
from crm_servicekit.kafka import idempotent_producer, record_of
from crm_servicekit.outbox import OutboxRelay, enqueue
from crm_servicekit.tracing import tracer_provider, tracing_requested

from .kafka_support import message_sent

pytestmark = pytest.mark.integration

LogLines = Callable[[], list[dict[str, Any]]]
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_tracing_is_off_unless_the_standard_settings_ask() -> None:
    assert not tracing_requested({})
    assert not tracing_requested({"OTEL_SERVICE_NAME": "rules"})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})
    assert tracing_requested({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not tracing_requested(
        {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}
    )
    assert not tracing_requested(
        {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}
    )


async def outbox_rows(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT event_id, traceparent, tracestate FROM outbox ORDER BY id")
    finally:
        await conn.close()


async def enqueue_and_relay(
    dsn: str, bootstrap: str, topic: str, event: EventEnvelope
) -> list[asyncpg.Record]:
    """The outbox rows as enqueued (the relay deletes them once sent), then relayed."""
    conn = await asyncpg.connect(dsn)
    producer = idempotent_producer(bootstrap, client_id="tracing-test")
    await producer.start()
    try:
        async with conn.transaction():
            await enqueue(conn, [event], topic)
        enqueued = await outbox_rows(dsn)
        relay = OutboxRelay(dsn, producer, service="tracing-" + uuid.uuid4().hex[:6])
        assert await relay.relay_once(conn) == 1
    finally:
        await producer.stop()
        await conn.close()
    assert await outbox_rows(dsn) == []
    return enqueued


async def test_an_outbox_row_keeps_the_enqueuing_span_and_the_relay_publishes_it(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str]
) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    topic = new_topic(partitions=1)
    event = message_sent(uuid.uuid4(), 1)
    with in_memory_spans() as spans:
        provider = tracer_provider()
        assert provider is not None
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("the change") as change:
            (row,) = await enqueue_and_relay(new_database, kafka_bootstrap, topic, event)
        context = change.get_span_context()
    version, trace_id, span_id, _flags = row["traceparent"].split("-")
    assert (version, trace_id, span_id) == (
        "00",
        trace.format_trace_id(context.trace_id),
        trace.format_span_id(context.span_id),
    )
    (record,) = await read_records(kafka_bootstrap, topic)
    headers = headers_dict(record.headers)
    assert headers["traceparent"] == row["traceparent"]
    # The headers every message had before are all still there.
    assert (headers["event_name"], headers["event_id"]) == ("MESSAGE_SENT", event.event_id)
    assert any(s.name == "the change" for s in spans.get_finished_spans())


async def test_with_tracing_off_nothing_is_added_and_nothing_breaks(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], json_log_lines: LogLines
) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    topic = new_topic(partitions=1)
    event = message_sent(uuid.uuid4(), 1)
    assert record_of(event).headers == message_headers(
        "MESSAGE_SENT", event.account_id, event.event_id
    )
    (row,) = await enqueue_and_relay(new_database, kafka_bootstrap, topic, event)
    assert (row["traceparent"], row["tracestate"]) == (None, None)
    (record,) = await read_records(kafka_bootstrap, topic)
    assert set(headers_dict(record.headers)) == {"event_name", "account_id", "event_id"}
    applied = await apply_one(new_database, delivery_of(event, traceparent=None))
    assert applied == [event.event_id]
    (line,) = [line for line in json_log_lines() if line["event"] == "event applied"]
    assert line["event_id"] == event.event_id
    assert "trace_id" not in line


def delivery_of(event: EventEnvelope, traceparent: str | None, offset: int = 0) -> Delivery:
    trace_context = {"traceparent": traceparent} if traceparent else None
    headers = message_headers(
        event.event_name.value, event.account_id, event.event_id, trace_context
    )
    return Delivery("t", 0, offset, event.kafka_key, event.to_json(), tuple(headers))


async def apply_one(dsn: str, *deliveries: Delivery) -> list[str]:
    applied: list[str] = []

    async def handler(_conn: object, events: Any) -> None:
        applied.extend(e.event_id for e in events)

    async def no_letters(_letters: list[DeadLetter]) -> None:
        raise AssertionError("nothing here is a dead letter")

    pool = await create_pool(dsn)
    try:
        applier = BatchApplier(pool, handler, "tracing", "tracing-group", no_letters)  # type: ignore[arg-type]
        await applier.apply(list(deliveries))
    finally:
        await pool.close()
    return applied


async def test_a_lone_event_is_handled_as_a_child_of_its_message_and_a_batch_links_to_each(
    new_database: str, json_log_lines: LogLines
) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    lone, first, second = (message_sent(uuid.uuid4(), n) for n in range(3))
    other = "00-11111111111111111111111111111111-2222222222222222-01"
    with in_memory_spans() as spans:
        await apply_one(new_database, delivery_of(lone, TRACEPARENT))
        await apply_one(
            new_database, delivery_of(first, TRACEPARENT, 1), delivery_of(second, other, 2)
        )
        processed = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CONSUMER]
    alone, batch = processed
    assert alone.parent is not None
    assert trace.format_trace_id(alone.context.trace_id) == TRACEPARENT.split("-")[1]
    assert trace.format_span_id(alone.parent.span_id) == TRACEPARENT.split("-")[2]
    assert batch.parent is None
    assert {trace.format_trace_id(link.context.trace_id) for link in batch.links} == {
        TRACEPARENT.split("-")[1],
        other.split("-")[1],
    }
    lines = {
        line["event_id"]: line for line in json_log_lines() if line["event"] == "event applied"
    }
    assert lines[lone.event_id]["trace_id"] == TRACEPARENT.split("-")[1]
    assert lines[lone.event_id]["customer_id"] == str(lone.customer_id)
    assert lines[lone.event_id]["event_name"] == "MESSAGE_SENT"
    assert lines[second.event_id]["trace_id"] == trace.format_trace_id(batch.context.trace_id)


EXPORTING_PROCESS = """
import sys
from opentelemetry import trace
from crm_servicekit.tracing import configure_tracing
provider = configure_tracing("rules")
assert provider is not None
tracer = trace.get_tracer("check")
# A query of a background loop, outside any request or batch: not worth a trace of its own.
with tracer.start_as_current_span("lone query", kind=trace.SpanKind.CLIENT):
    pass
with tracer.start_as_current_span("exported"):
    with tracer.start_as_current_span("its query", kind=trace.SpanKind.CLIENT):
        pass
provider.force_flush()
"""


async def test_a_process_given_an_otlp_endpoint_exports_its_traces_named_by_its_service() -> None:
    with OtlpReceiver() as receiver:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            EXPORTING_PROCESS,
            env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint},
        )
        assert await process.wait() == 0
        spans = receiver.spans()
    assert sorted((s.service, s.name) for s in spans) == [
        ("rules", "exported"),
        ("rules", "its query"),
    ]


async def test_a_large_batch_is_logged_as_one_line(
    new_database: str, json_log_lines: LogLines
) -> None:
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    events = [message_sent(uuid.uuid4(), n) for n in range(LOGGED_ONE_BY_ONE + 1)]
    await apply_one(
        new_database, *(delivery_of(e, TRACEPARENT, offset) for offset, e in enumerate(events))
    )
    lines = json_log_lines()
    assert not [line for line in lines if line["event"] == "event applied"]
    (summary,) = [line for line in lines if line["event"] == "events applied"]
    assert (summary["count"], summary["first_event_id"], summary["last_event_id"]) == (
        len(events),
        events[0].event_id,
        events[-1].event_id,
    )
