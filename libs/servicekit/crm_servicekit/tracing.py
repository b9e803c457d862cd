"""OpenTelemetry tracing, off unless the standard ``OTEL_*`` settings ask for it.

With none of them set no provider is installed, and every function here returns at its first
line: no span, no header, no context read on the way of a request or a batch. On, one tracer
provider per process (service.name = the service) exports over OTLP/HTTP, asyncpg and Redis
are instrumented, FastAPI's own OpenTelemetry hooks make the HTTP server spans, and the W3C
``traceparent``/``tracestate`` travel in Kafka headers and outbox rows (kafka.py, outbox.py,
batch_apply.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

_W3C = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_tracer: Tracer | None = None


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the standard settings ask for traces: an OTLP endpoint, or an exporter named."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER")
    if exporters is not None:
        return exporters.strip().lower() not in ("", "none")
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def configure_tracing(
    service: str, environ: Mapping[str, str] = os.environ
) -> TracerProvider | None:
    """The process's tracer provider, installed the first time the settings ask for one."""
    if _provider is not None or not tracing_requested(environ):
        return _provider
    # Imported here: a process that traces nothing never loads the exporter and protobuf.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporters = {e.strip().lower() for e in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")}
    if exporters - {"otlp"}:
        raise ValueError(f"OTEL_TRACES_EXPORTER: only otlp is supported, not {sorted(exporters)}")
    # An operator's OTEL_SERVICE_NAME wins, as the standard says; Resource.create adds the
    # attributes of OTEL_RESOURCE_ATTRIBUTES.
    name = environ.get("OTEL_SERVICE_NAME") or service
    # The standard OTEL_TRACES_SAMPLER when given; else every trace, but none that a lone query
    # would start (the relay's polling, the gauges' timer, the scheduler's pass).
    sampler = None if environ.get("OTEL_TRACES_SAMPLER") else ParentBased(_NoLoneClientCalls())
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}), sampler=sampler)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    enable_tracing(provider)
    return provider


class _NoLoneClientCalls(Sampler):
    """Drops a client span (a database or Redis call) that has no parent: background loops
    poll all the time, and a trace of one polling query tells nobody anything."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "NoLoneClientCalls"


def enable_tracing(provider: TracerProvider) -> None:
    """Trace with this provider from now on (configure_tracing's, or a test's in-memory one)."""
    global _provider, _tracer
    _provider = provider
    _tracer = provider.get_tracer("crm_servicekit")
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=provider)


def disable_tracing() -> None:
    """Back to no tracing (tests compare both ways in one process)."""
    global _provider, _tracer
    _provider = _tracer = None
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    RedisInstrumentor().uninstrument()


def tracer_provider() -> TracerProvider | None:
    return _provider


def trace_context_headers(context: Context | None = None) -> dict[str, str]:
    """The W3C headers of the current (or given) span; empty when tracing is off or no span."""
    if _tracer is None:
        return {}
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context=context)
    return carrier


def remote_context(headers: Mapping[str, str]) -> trace.SpanContext | None:
    """The span context a message's ``traceparent`` names, if it names a valid one."""
    if "traceparent" not in headers:
        return None
    context = trace.get_current_span(_W3C.extract(headers)).get_span_context()
    return context if context.is_valid else None


def current_context() -> Context | None:
    """The active trace context, to carry into work done on the caller's behalf in another
    task (None when tracing is off)."""
    return None if _tracer is None else otel_context.get_current()


@contextmanager
def on_behalf_of(name: str, contexts: Sequence[Context | None]) -> Iterator[None]:
    """Work done in one task for several callers: under the one caller's context, or, for
    several, in a span of its own linked to each caller's span."""
    if _tracer is None:
        yield
        return
    given = [c for c in contexts if c is not None]
    if len(given) == 1:
        token = otel_context.attach(given[0])
        try:
            yield
        finally:
            otel_context.detach(token)
        return
    links = [Link(trace.get_current_span(c).get_span_context()) for c in given]
    with _tracer.start_as_current_span(name, context=Context(), links=links):
        yield


@contextmanager
def publish_span(topic: str, messages: int) -> Iterator[Span | None]:
    """A producer span around one round of sends (the messaging conventions' "send")."""
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span(
        f"send {topic}",
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.batch.message_count": messages,
        },
    ) as span:
        yield span


@contextmanager
def process_span(
    topic: str, group: str, headers: Iterable[Mapping[str, str]], messages: int
) -> Iterator[Span | None]:
    """A consumer span around the handling of one batch, given each message's headers (read
    only when tracing is on).

    As the messaging conventions say for batches, the span links to the context of each
    message it applies; a batch of one message continues that message's trace as its child
    (one trace from webhook to reminder, which is what a reader of a trace looks for).
    """
    if _tracer is None:
        yield None
        return
    remotes = [remote_context(h) for h in headers]
    contexts = [c for c in remotes if c is not None]
    # A batch of several starts a trace of its own, whatever the consumer task's context.
    parent = Context()
    links: list[Link] = []
    if messages == 1 and len(contexts) == 1:
        parent = trace.set_span_in_context(trace.NonRecordingSpan(contexts[0]))
    else:
        links = [Link(c) for c in contexts]
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "messaging.consumer.group.name": group,
        "messaging.batch.message_count": messages,
    }
    with _tracer.start_as_current_span(
        f"process {topic}",
        context=parent,
        kind=SpanKind.CONSUMER,
        links=links,
        attributes=attributes,
    ) as span:
        yield span


def current_trace_ids() -> dict[str, str]:
    """``trace_id`` and ``span_id`` of the active span, for log lines; empty when none."""
    if _tracer is None:
        return {}
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
    }
