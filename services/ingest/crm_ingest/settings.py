"""Ingest's settings (env prefix INGEST_): limits, rate limit, retention of its records."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_servicekit.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", frozen=True)

    service_name: ClassVar[str] = "ingest"

    http_port: int = Field(default=8001, ge=1, le=65535)
    # Each request holds a connection while Kafka acknowledges, so the pool bounds concurrency.
    db_pool_max_size: int = Field(default=40, ge=1)

    # One event's JSON (a single request, or one item of a batch).
    max_event_bytes: int = Field(default=64 * 1024, ge=1024)
    max_batch_items: int = Field(default=500, ge=1)
    # Token bucket per (account, endpoint); a batch counts as one request.
    rate_limit_per_s: float = Field(default=200.0, gt=0)
    rate_limit_burst: int = Field(default=400, ge=1)
    # Redis answers the bucket's script in well under a millisecond; past this the request is
    # decided in this process instead (rate_limit.py), so a hung Redis stalls no request.
    rate_limit_redis_timeout_s: float = Field(default=0.5, gt=0)
    # While deciding locally, how often one request asks Redis whether it is back.
    rate_limit_probe_every_s: float = Field(default=1.0, gt=0)
    # Namespace of ingest's Redis keys, for deployments (or tests) sharing one Redis.
    redis_key_prefix: str = Field(default="ingest", min_length=1)
    # De-duplication records are kept at least this long (docs/architecture.md: 30 days or more).
    dedupe_retention_days: int = Field(default=30, ge=30)
    # The webhook deliveries log is for finding why a delivery did not show up, not an archive.
    deliveries_retention_days: int = Field(default=7, ge=1)
    # A booking's later deliveries (cancellation, no-show, reschedule) come within weeks of
    # its meeting, and tools book months ahead at most: a year of remembered bookings covers
    # them, and the table does not grow for ever.
    booking_customers_retention_days: int = Field(default=365, ge=30)
    # Bounds the wait for Kafka's acknowledgement. The runtime's producer expires an unsent
    # batch after its request timeout (15 s), so this is set above it: a 503 then means the
    # message can no longer reach the topic behind the client's back.
    kafka_send_timeout_s: float = Field(default=20.0, gt=0)
    # Single events arriving together are accepted together (service/group_commit.py): how
    # many groups may be in PostgreSQL and Kafka at once. More overlaps round trips, fewer
    # makes bigger groups; on 2 cores one gave the most events/s (docs/benchmarks.md).
    group_commit_in_flight: int = Field(default=1, ge=1)
    future_tolerance_s: int = Field(default=300, ge=0)
    # One provider delivery (docs/connectors.md): Meta batches up to 1,000 items in one POST.
    max_delivery_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    # The deployment's Meta app (one app serves every account; several during a rotation),
    # and the tokens its subscription handshake may present.
    meta_app_secrets: tuple[str, ...] = ()
    meta_verify_tokens: tuple[str, ...] = ()
    webhook_tolerance_s: int = Field(default=300, ge=1)
    # The Graph API (its version included) from which Lead Ads answers are read; tests point
    # it at a local server. v26.0 is the current version (Meta's changelog, July 2026).
    graph_api_base: str = Field(default="https://graph.facebook.com/v26.0", min_length=1)
    # A lead not read within this is answered 503, and Meta retries the delivery.
    graph_timeout_s: float = Field(default=5.0, gt=0)
