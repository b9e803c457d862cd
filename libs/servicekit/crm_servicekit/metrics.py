"""Prometheus metrics shared by every service: HTTP, and the consumer runtime's events."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Requests that matched no route share one label, so scanners cannot blow up cardinality.
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUESTS = Counter(
    "crm_http_requests", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_REQUEST_DURATION = Histogram(
    "crm_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# The consumer runtime, outbox relay and DLQ tool record into these.
EVENTS_CONSUMED = Counter(
    "crm_events_consumed",
    "Events taken from the topic, by outcome (applied, duplicate, dead_lettered, ...).",
    ["service", "event_name", "outcome"],
)
EVENTS_PUBLISHED = Counter(
    "crm_events_published", "Events acknowledged by Kafka.", ["service", "event_name"]
)
HANDLER_LATENCY = Histogram(
    "crm_handler_latency_seconds",
    "Time to apply one batch of events, transaction included.",
    ["service"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONSUMER_LAG = Gauge(
    "crm_consumer_lag", "Messages behind the partition's end.", ["service", "topic", "partition"]
)
DLQ_MESSAGES = Counter(
    "crm_dlq_messages", "Messages sent to the dead-letter topic.", ["service", "event_name"]
)
EVENTS_SKIPPED = Counter(
    "crm_events_skipped",
    "Events passed over without effect (e.g. unknown_event_name, deleted_customer).",
    ["service", "reason"],
)


metrics_router = APIRouter()


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    # Rendering takes well under a millisecond; in a worker thread it would still hold the GIL.
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class HttpMetricsMiddleware:
    """Counts requests by method, route template and status, and times them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            # The router writes the matched route into the scope on its way in.
            route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(method, route).observe(time.perf_counter() - started)
