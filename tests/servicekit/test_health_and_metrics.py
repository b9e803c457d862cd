from __future__ import annotations

import asyncio
import os

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from crm_servicekit.health import ReadinessCheck, add_readiness_check, instance_name

from .sample_service import bearer, sample_app


async def ok() -> None:
    return None


async def refused() -> None:
    raise ConnectionRefusedError("connection refused on 127.0.0.1:6379")


async def hangs() -> None:
    await asyncio.sleep(30)


async def get(app: FastAPI, path: str, **kwargs: object) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        return await c.get(path, **kwargs)  # type: ignore[arg-type]


async def test_live_always_answers() -> None:
    app = sample_app(readiness_checks={"database": refused})
    response = await get(app, "/health/live")
    assert response.status_code == 200
    # The instance names this process, so replicas sharing a port can be told apart.
    assert response.json() == {
        "status": "live",
        "instance": instance_name(os.getpid()),
    }


async def test_ready_when_every_check_passes() -> None:
    app = sample_app(readiness_checks={"database": ok, "kafka": ok})
    response = await get(app, "/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "instance": instance_name(os.getpid()),
        "checks": {"database": {"status": "ok"}, "kafka": {"status": "ok"}},
    }


async def test_not_ready_lists_what_failed_and_what_timed_out() -> None:
    checks: dict[str, ReadinessCheck] = {"database": ok, "redis": refused, "kafka": hangs}
    app = sample_app(readiness_checks=checks)
    started = asyncio.get_running_loop().time()
    response = await get(app, "/health/ready")
    # Checks run side by side, each cut at readiness_timeout_s (0.2 s here).
    assert asyncio.get_running_loop().time() - started < 2
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["detail"] == "Not ready: kafka, redis failed."
    assert body["checks"] == {
        "database": {"status": "ok"},
        "redis": {"status": "failed", "error": "ConnectionRefusedError"},
        "kafka": {"status": "failed", "error": "no answer within 0.2s"},
    }


async def test_checks_added_later_count() -> None:
    app = sample_app()
    assert (await get(app, "/health/ready")).status_code == 200
    add_readiness_check(app, "redis", refused)
    assert (await get(app, "/health/ready")).status_code == 503


async def test_a_degrading_check_that_does_not_pass_leaves_the_replica_ready() -> None:
    app = sample_app(readiness_checks={"database": ok})
    add_readiness_check(app, "redis", refused, degrades=True)
    add_readiness_check(app, "search", hangs, degrades=True)
    add_readiness_check(app, "cache", ok, degrades=True)
    response = await get(app, "/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "instance": instance_name(os.getpid()),
        "checks": {
            "database": {"status": "ok"},
            "redis": {"status": "degraded", "error": "ConnectionRefusedError"},
            "search": {"status": "degraded", "error": "no answer within 0.2s"},
            "cache": {"status": "ok"},
        },
    }


async def test_a_failing_check_fails_the_replica_beside_a_degraded_one() -> None:
    app = sample_app(readiness_checks={"database": refused})
    add_readiness_check(app, "redis", refused, degrades=True)
    response = await get(app, "/health/ready")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["detail"] == "Not ready: database failed."
    assert body["checks"] == {
        "database": {"status": "failed", "error": "ConnectionRefusedError"},
        "redis": {"status": "degraded", "error": "ConnectionRefusedError"},
    }


def sample_count(route: str, status: str, method: str = "GET") -> float:
    labels = {"service": "sample", "method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("crm_http_requests_total", labels) or 0.0


async def test_requests_are_counted_by_route_template_and_status() -> None:
    app = sample_app()
    before_ok = sample_count("/api/things/{thing_id}", "404")
    before_unmatched = sample_count("<unmatched>", "404")
    before_latency = (
        REGISTRY.get_sample_value(
            "crm_http_request_duration_seconds_count",
            {"service": "sample", "method": "GET", "route": "/api/things/{thing_id}"},
        )
        or 0.0
    )
    await get(app, "/api/things/1", headers=bearer())
    await get(app, "/api/things/2", headers=bearer())
    await get(app, "/no/such/route")
    assert sample_count("/api/things/{thing_id}", "404") == before_ok + 2
    assert sample_count("<unmatched>", "404") == before_unmatched + 1
    assert (
        REGISTRY.get_sample_value(
            "crm_http_request_duration_seconds_count",
            {"service": "sample", "method": "GET", "route": "/api/things/{thing_id}"},
        )
        == before_latency + 2
    )


# The JSON renderer: structlog's default console one draws a rich traceback, slowly.
@pytest.mark.usefixtures("json_log_lines")
async def test_unexpected_errors_are_counted_as_500() -> None:
    before = sample_count("/api/boom", "500")
    await get(sample_app(), "/api/boom", headers=bearer())
    assert sample_count("/api/boom", "500") == before + 1


async def test_metrics_exposition_has_http_and_consumer_metrics() -> None:
    app = sample_app()
    await get(app, "/health/live")
    response = await get(app, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'crm_http_requests_total{method="GET",route="/health/live",service="sample",status="200"}'
        in text
    )
    for family in (
        "crm_events_consumed",
        "crm_events_published",
        "crm_handler_latency_seconds",
        "crm_consumer_lag",
        "crm_dlq_messages",
        "crm_events_skipped",
        "crm_outbox_unsent",
        "crm_outbox_oldest_unsent_age_seconds",
        "crm_db_pool_size",
        "crm_db_pool_in_use",
        "crm_db_pool_idle",
        "crm_db_pool_max_size",
        "crm_ready",
    ):
        assert f"# HELP {family}" in text


def readiness_gauge() -> float | None:
    return REGISTRY.get_sample_value("crm_ready", {"service": "sample"})


async def test_the_last_readiness_answer_is_a_gauge() -> None:
    failing = sample_app(readiness_checks={"database": refused})
    assert (await get(failing, "/health/ready")).status_code == 503
    assert readiness_gauge() == 0
    degraded = sample_app(readiness_checks={"database": ok})
    add_readiness_check(degraded, "redis", refused, degrades=True)
    assert (await get(degraded, "/health/ready")).status_code == 200
    assert readiness_gauge() == 1
