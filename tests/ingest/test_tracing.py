"""One trace from an event POSTed to ingest to the rules that apply it, and the log lines
of both naming the event, its customer and the trace."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from crm_devstack.databases import create_database, drop_database
from crm_devstack.kafka_testing import eventually
from crm_devstack.tracing_testing import in_memory_spans
from crm_rules.main import build_app as build_rules
from crm_rules.settings import RulesSettings
from crm_servicekit.accounts import Account, Accounts, write_accounts_file
from crm_servicekit.clock import FixedClock
from crm_servicekit.logging import configure_logging

from .conftest import new_id
from .support import T0, Ingest, Published

pytestmark = pytest.mark.integration

LogLines = Callable[[], list[dict[str, Any]]]


def no_show(event_id: str) -> dict[str, Any]:
    """A no-show, which makes the rules schedule follow-ups (announced through their outbox)."""
    return {
        "event_name": "NO_SHOW",
        "event_id": event_id,
        "timestamp": "2026-11-02T08:30:00Z",
        "source": "Instagram",
        "contact": {"handles": {"ig": f"@tracing.{uuid.uuid4().hex[:8]}"}},
    }


@pytest.fixture
def json_log_lines() -> Iterator[LogLines]:
    """Our JSON logging as a service sets it up; call the result to read the lines so far."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("INFO", service="test")
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    output = io.StringIO()
    handler.setStream(output)
    yield lambda: [json.loads(line) for line in output.getvalue().splitlines()]
    root.handlers = saved_handlers
    root.setLevel(saved_level)


@contextlib.asynccontextmanager
async def rules_on(postgres_url: str, bootstrap: str, topic: str, tmp: Path) -> AsyncIterator[str]:
    """The rules service in process on ingest's topic; gives its database's DSN."""
    name = f"rules_{uuid.uuid4().hex[:12]}"
    database = await create_database(postgres_url, name)
    accounts = [Account(account_id="acme")]
    settings = RulesSettings(
        database_url=database,
        kafka_bootstrap_servers=bootstrap,
        accounts_file=write_accounts_file(tmp / "rules-accounts.yaml", accounts),
        environment="test",
        events_topic=topic,
    )
    app = build_rules(settings, FixedClock(T0), Accounts(accounts), scheduler=False)
    try:
        async with app.router.lifespan_context(app):
            yield database
    finally:
        await drop_database(postgres_url, name)


def hex_ids(span: ReadableSpan) -> tuple[str, str]:
    assert span.context is not None
    return trace.format_trace_id(span.context.trace_id), trace.format_span_id(span.context.span_id)


def ancestors(span: ReadableSpan, finished: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    by_id = {s.context.span_id: s for s in finished if s.context is not None}
    found = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        found.append(span)
    return found


async def test_an_event_is_traced_from_the_webhook_through_kafka_into_the_rules(
    start_ingest: Callable[..., Any],
    postgres_url: str,
    tmp_path: Path,
    json_log_lines: LogLines,
) -> None:
    event_id = new_id()
    with in_memory_spans() as spans:
        async with start_ingest() as ingest:
            assert isinstance(ingest, Ingest)
            answer = await ingest.client.post(
                "/api/events", json=no_show(event_id), headers=ingest.auth()
            )
            assert answer.status_code == 202, answer.text
            customer_id = answer.json()["customer_id"]
            (published,) = await ingest.published_with(event_id)
            topic = ingest.settings.events_topic
            async with rules_on(postgres_url, ingest.bootstrap, topic, tmp_path):
                # The rules announce the follow-ups they scheduled through their outbox, whose
                # relay publishes each row with the trace context it was written with.
                async def announced_by_rules() -> list[Published]:
                    return [
                        p
                        for p in await ingest.published()
                        if p.envelope.producer == "rules"
                        and str(p.envelope.customer_id) == customer_id
                    ]

                announced = await eventually(announced_by_rules, bool, within_s=60)
        finished = spans.get_finished_spans()

    # Ingest: the HTTP server span is the parent of the publish, whose context the message has.
    _, trace_id, publish_span_id, _ = published.headers["traceparent"].split("-")
    (publish,) = [s for s in finished if hex_ids(s) == (trace_id, publish_span_id)]
    assert publish.kind is SpanKind.PRODUCER
    assert publish.name == f"send {topic}"
    (server,) = [s for s in finished if s.kind is SpanKind.SERVER and hex_ids(s)[0] == trace_id]
    assert server in ancestors(publish, finished)
    # The rules' consumer: the batch of this one event continues the trace as a child.
    processes = [s for s in finished if s.kind is SpanKind.CONSUMER and hex_ids(s)[0] == trace_id]
    assert processes
    assert publish.context is not None
    assert {p.parent.span_id if p.parent else None for p in processes} == {publish.context.span_id}
    # Their announcements carry the trace on, from the outbox row.
    assert {p.headers["traceparent"].split("-")[1] for p in announced} == {trace_id}

    lines = json_log_lines()
    (ingested,) = [
        line
        for line in lines
        if line["event"] == "event published" and line["event_id"] == event_id
    ]
    assert (ingested["customer_id"], ingested["trace_id"]) == (customer_id, trace_id)
    (request,) = [
        line
        for line in lines
        if line["event"] == "request finished" and line.get("event_id") == event_id
    ]
    assert (request["customer_id"], request["trace_id"]) == (customer_id, trace_id)
    applied = [
        line for line in lines if line["event"] == "event applied" and line["event_id"] == event_id
    ]
    assert applied
    assert {(line["customer_id"], line["trace_id"]) for line in applied} == {
        (customer_id, trace_id)
    }


async def test_with_tracing_off_ingest_publishes_no_trace_headers(
    ingest: Ingest, json_log_lines: LogLines
) -> None:
    event_id = new_id()
    answer = await ingest.client.post("/api/events", json=no_show(event_id), headers=ingest.auth())
    assert answer.status_code == 202, answer.text
    (published,) = await ingest.published_with(event_id)
    assert set(published.headers) == {"event_name", "account_id", "event_id"}
    (line,) = [
        line
        for line in json_log_lines()
        if line["event"] == "event published" and line["event_id"] == event_id
    ]
    assert line["customer_id"] == answer.json()["customer_id"]
    assert "trace_id" not in line


async def test_events_accepted_together_are_published_each_in_or_linked_to_its_requests_trace(
    start_ingest: Callable[..., Any], json_log_lines: LogLines
) -> None:
    event_ids = [new_id() for _ in range(8)]
    with in_memory_spans() as spans:
        async with start_ingest() as ingest:
            assert isinstance(ingest, Ingest)
            answers = await asyncio.gather(
                *(
                    ingest.client.post("/api/events", json=no_show(e), headers=ingest.auth())
                    for e in event_ids
                )
            )
            assert [a.status_code for a in answers] == [202] * len(event_ids)
            published = {
                e: (await ingest.published_with(e))[0].headers["traceparent"] for e in event_ids
            }
        finished = spans.get_finished_spans()
    request_traces = {
        line["event_id"]: line["trace_id"]
        for line in json_log_lines()
        if line["event"] == "request finished" and line.get("event_id") in published
    }
    assert set(request_traces) == set(event_ids)
    for event_id, traceparent in published.items():
        trace_id = traceparent.split("-")[1]
        if trace_id == request_traces[event_id]:
            continue  # accepted alone: published in its request's own trace
        # Accepted in a group: the group's span links to each request's span.
        (group,) = [
            s for s in finished if s.name == "ingest accept group" and hex_ids(s)[0] == trace_id
        ]
        linked = {trace.format_trace_id(link.context.trace_id) for link in group.links}
        assert request_traces[event_id] in linked
