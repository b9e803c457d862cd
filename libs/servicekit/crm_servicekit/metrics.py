"""Prometheus metrics shared by every service: HTTP, the consumer runtime's events, and the
gauges the runtime refreshes on a timer (consumer lag, outbox backlog, the database pool)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Requests that matched no route share one label, so scanners cannot blow up cardinality.
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUESTS = Counter(
    "crm_http_requests", "HTTP requests answered.", ["service", "method", "route", "status"]
)
HTTP_REQUEST_DURATION = Histogram(
    "crm_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "method", "route"],
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
# From the broker's view (the group's committed offset against the partition's end), on a
# timer: a consumer that is stuck or stopped shows its lag growing.
CONSUMER_LAG = Gauge(
    "crm_consumer_lag",
    "Messages of the partition its consumer group has not committed yet.",
    ["service", "topic", "partition"],
)
DLQ_MESSAGES = Counter(
    "crm_dlq_messages", "Messages sent to the dead-letter topic.", ["service", "event_name"]
)
EVENTS_SKIPPED = Counter(
    "crm_events_skipped",
    "Events passed over without effect (e.g. unknown_event_name, deleted_customer).",
    ["service", "reason"],
)
OUTBOX_UNSENT = Gauge("crm_outbox_unsent", "Outbox rows not yet sent to Kafka.", ["service"])
OUTBOX_OLDEST_UNSENT_AGE = Gauge(
    "crm_outbox_oldest_unsent_age_seconds",
    "Age of the oldest outbox row not yet sent to Kafka (0 when none waits).",
    ["service"],
)
DB_POOL_SIZE = Gauge("crm_db_pool_size", "Connections the database pool holds.", ["service"])
DB_POOL_IN_USE = Gauge("crm_db_pool_in_use", "Pool connections checked out.", ["service"])
DB_POOL_IDLE = Gauge("crm_db_pool_idle", "Pool connections open and free.", ["service"])
DB_POOL_MAX_SIZE = Gauge("crm_db_pool_max_size", "The pool's size limit.", ["service"])
READY = Gauge(
    "crm_ready",
    "1 when the last readiness check passed (degraded included), 0 when it failed.",
    ["service"],
)


metrics_router = APIRouter()


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    # Rendering takes well under a millisecond; in a worker thread it would still hold the GIL.
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class HttpMetricsMiddleware:
    """Counts requests by method, route template and status, and times them."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

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
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(self.service, method, route).observe(
                time.perf_counter() - started
            )
