"""Accepting events never depends on Redis. With ingest's Redis behind a proxy that refuses
connections, events are accepted and the rate limit still holds (decided in the process), the
replica stays ready (Redis degraded) and says so in its metrics and log; once Redis is back,
the limit is decided in Redis again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from structlog.testing import capture_logs
from tcp_proxy import tcp_proxy

from crm_devstack.kafka_testing import eventually

from .conftest import new_id
from .support import Ingest


async def post_event(ingest: Ingest) -> httpx.Response:
    return await ingest.client.post(
        "/api/events",
        json={
            "event_name": "INVITE_SENT",
            "event_id": new_id(),
            "timestamp": "2026-11-02T08:00:00Z",
            "contact": {"external_id": "outage"},
        },
        headers=ingest.auth(),
    )


async def metric(ingest: Ingest, name: str, **labels: str) -> float:
    """A sample of ingest's /metrics (0 when it has none yet)."""
    text = (await ingest.client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def lines(logs: list[dict[str, Any]], starting: str) -> list[dict[str, Any]]:
    return [line for line in logs if str(line["event"]).startswith(starting)]


async def test_events_are_accepted_and_limited_while_redis_is_down(
    start_ingest: Any, redis_url: str
) -> None:
    target = urlsplit(redis_url)
    direct = Redis.from_url(redis_url)
    with tcp_proxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        async with start_ingest(
            redis_url=f"redis://{proxy.address}/0",
            rate_limit_per_s=1.0,
            rate_limit_burst=3,
            rate_limit_probe_every_s=0.2,
        ) as ingest:
            key = f"{ingest.settings.redis_key_prefix}:rate:acme:events"
            try:
                assert (await post_event(ingest)).status_code == 202
                assert await direct.exists(key) == 1  # decided in Redis
                await direct.delete(key)

                proxy.refuse()
                allowed_before = await metric(
                    ingest, "crm_ingest_rate_limit_local_decisions_total", verdict="allowed"
                )
                with capture_logs() as outage_logs:
                    answers = [await post_event(ingest) for _ in range(4)]
                # A fresh bucket of 3 in this process; the clock stands still, so no refill.
                assert [a.status_code for a in answers] == [202, 202, 202, 429]
                assert answers[-1].headers["retry-after"] == "1"
                assert answers[-1].headers["content-type"] == "application/problem+json"
                assert len(lines(outage_logs, "rate limit decided locally")) == 1
                assert await metric(ingest, "crm_ingest_rate_limit_local") == 1.0
                allowed_after = await metric(
                    ingest, "crm_ingest_rate_limit_local_decisions_total", verdict="allowed"
                )
                assert allowed_after - allowed_before == 3
                assert await direct.exists(key) == 0

                ready = await ingest.client.get("/health/ready")
                assert ready.status_code == 200
                assert ready.json()["status"] == "degraded"
                checks = ready.json()["checks"]
                assert checks["redis"]["status"] == "degraded"
                assert checks["postgres"] == checks["kafka"] == {"status": "ok"}

                proxy.restore()

                async def accepted_then_bucket_in_redis() -> int:
                    ingest.clock.advance(timedelta(seconds=1))  # a token per event
                    assert (await post_event(ingest)).status_code == 202
                    return int(await direct.exists(key))

                with capture_logs() as recovery_logs:
                    await eventually(accepted_then_bucket_in_redis, lambda found: found == 1)
                assert len(lines(recovery_logs, "rate limit decided in Redis again")) == 1
                assert await metric(ingest, "crm_ingest_rate_limit_local") == 0.0
                ready_again = await ingest.client.get("/health/ready")
                assert ready_again.json()["status"] == "ready"
            finally:
                await direct.aclose()
