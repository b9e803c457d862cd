from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from crm_servicekit.db import create_pool
from crm_servicekit.health import ReadinessCheck, postgres_check, redis_check

from .sample_service import sample_app, sample_settings

pytestmark = pytest.mark.integration


async def readiness(timeout_s: float = 0.2, **checks: ReadinessCheck) -> httpx.Response:
    app = sample_app(
        settings=sample_settings(readiness_timeout_s=timeout_s), readiness_checks=checks
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        return await c.get("/health/ready")


async def test_database_and_redis_checks_against_real_servers(
    new_database: str, redis_url: str
) -> None:
    pool = await create_pool(new_database)
    redis = Redis.from_url(redis_url)
    try:
        # Healthy servers pass however busy the machine is: CI once stalled past 0.2 s here.
        # The sample's 0.2 s cut is for the tests of timeouts, not for this one.
        response = await readiness(
            timeout_s=10.0, database=postgres_check(pool), redis=redis_check(redis)
        )
        assert response.status_code == 200
        assert response.json()["checks"] == {
            "database": {"status": "ok"},
            "redis": {"status": "ok"},
        }
    finally:
        await pool.close()
        await redis.aclose()


async def test_unreachable_servers_make_the_service_unready(new_database: str) -> None:
    pool = await create_pool(new_database)
    await pool.close()
    # Port 1 on localhost: nothing listens there, so the connection is refused at once.
    redis = Redis.from_url("redis://127.0.0.1:1/0")
    try:
        response = await readiness(database=postgres_check(pool), redis=redis_check(redis))
    finally:
        await redis.aclose()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["status"] == checks["redis"]["status"] == "failed"
