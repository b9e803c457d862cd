"""The README's quick-start DM, through the gateway, makes one trace with spans in ingest and in
each of the four consumers, exported over OTLP to a receiver the test runs.

The services read the OTEL_* settings at start, and the launcher starts them with its own
environment beside theirs; so the module restarts the services (not Kafka, PostgreSQL or
Redis) with the receiver's endpoint, and restarts them without it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from crm_backtest.client import Gateway
from crm_devstack.kafka_testing import eventually
from crm_devstack.servers_for_tests import run_coroutine
from crm_devstack.settings import StackConfig
from crm_devstack.system_stack import bring_down_system, bring_up_system
from crm_devstack.tracing_testing import OtlpReceiver, ReceivedSpan

from .conftest import System
from .e2e_support import SERVICES_INSTALLED

pytestmark = [
    pytest.mark.e2e,
    SERVICES_INSTALLED,
    pytest.mark.timeout(600),
]

# Exported every 200 ms rather than every 5 s, so the test waits less for the spans.
TRACING_ENV = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_BSP_SCHEDULE_DELAY": "200"}


async def restart_services(config: StackConfig, env: dict[str, str]) -> None:
    """Stop the services and the gateway and bring them up again with `env` added."""
    await bring_down_system(config)
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        await bring_up_system(config, lambda _: None)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as started:
        yield started


@pytest.fixture
def traced_system(system: System, receiver: OtlpReceiver) -> Iterator[System]:
    config = StackConfig.from_env()
    tracing = {**TRACING_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
    run_coroutine(lambda: restart_services(config, tracing))
    try:
        yield system
    finally:
        run_coroutine(lambda: restart_services(config, {}))


def in_trace(span: ReceivedSpan, trace_id: str) -> bool:
    """In the trace, or (a consumer's batch of several events) linked to it."""
    return span.trace_id == trace_id or trace_id in span.linked_trace_ids


async def test_the_quick_start_dm_is_one_trace_through_ingest_and_every_consumer(
    traced_system: System, receiver: OtlpReceiver
) -> None:
    handle = f"trace.{uuid.uuid4().hex[:8]}"
    event_id = f"trace-dm-{uuid.uuid4().hex[:8]}"
    async with Gateway(traced_system.api, traced_system.credentials) as gateway:
        answer = await gateway.webhook(
            "/hooks/dm",
            event_id,
            {
                "event_id": event_id,
                "account_id": "demo",
                "platform": "ig",
                "sender": {"id": uuid.uuid4().hex[:11], "handle": f"@{handle}", "name": "Ada L"},
                "text": "Hi! Tell me more",
                "timestamp": "2025-03-03T09:00:00Z",
            },
        )
    assert answer.status_code == 202, answer.text

    def ingest_publish(spans: list[ReceivedSpan]) -> ReceivedSpan | None:
        return next(
            (s for s in spans if s.service == "ingest" and s.name.startswith("send ")), None
        )

    # Only this DM was sent since the services started, so ingest's one publish span is its.
    spans = await eventually(lambda: _spans(receiver), lambda s: ingest_publish(s) is not None)
    publish = ingest_publish(spans)
    assert publish is not None
    trace_id = publish.trace_id
    ingest_spans = [s for s in spans if s.service == "ingest" and s.trace_id == trace_id]
    # The webhook's HTTP server span is the publish's ancestor, in the same trace.
    assert any(s.name.startswith("POST") for s in ingest_spans)

    def consumers_in_trace(spans: list[ReceivedSpan]) -> set[str]:
        return {s.service for s in spans if s.name.startswith("process ") and in_trace(s, trace_id)}

    await eventually(
        lambda: _spans(receiver),
        lambda s: consumers_in_trace(s) >= {"customers", "rules", "nba", "stats"},
        within_s=120,
    )


async def _spans(receiver: OtlpReceiver) -> list[ReceivedSpan]:
    return receiver.spans()
