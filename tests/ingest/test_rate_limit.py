"""The token bucket in real Redis: concurrent requests share calls but not tokens."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from crm_ingest.rate_limit import RateLimiter, RateLimitUnavailable

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_concurrent_requests_get_exactly_the_tokens_there_are(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    limiter = RateLimiter(redis, per_second=2.0, burst=3, key_prefix=f"t-{uuid.uuid4().hex}")
    try:
        verdicts = await asyncio.gather(*(limiter.take("acme", "events", NOW) for _ in range(10)))
        # Granted in arrival order; the others are told when the next token comes.
        assert [v.allowed for v in verdicts] == [True] * 3 + [False] * 7
        assert {v.retry_after_s for v in verdicts[3:]} == {1}
        other = await limiter.take("acme", "hooks_dm", NOW)  # another bucket
        assert other.allowed
        half_second = await asyncio.gather(
            *(limiter.take("acme", "events", NOW + timedelta(seconds=0.5)) for _ in range(2))
        )
        assert [v.allowed for v in half_second] == [True, False]  # 2 per second refilled one
    finally:
        await redis.aclose()


async def test_replicas_share_one_bucket(redis_url: str) -> None:
    prefix = f"t-{uuid.uuid4().hex}"
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        limiters = [
            RateLimiter(r, per_second=1.0, burst=4, key_prefix=prefix) for r in (first, second)
        ]
        verdicts = await asyncio.gather(
            *(limiters[n % 2].take("acme", "events", NOW) for n in range(8))
        )
        assert sum(v.allowed for v in verdicts) == 4
    finally:
        await first.aclose()
        await second.aclose()


async def test_redis_unreachable_fails_every_waiting_request() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    limiter = RateLimiter(redis, per_second=1.0, burst=4)
    try:
        results = await asyncio.gather(
            *(limiter.take("acme", "events", NOW) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, RateLimitUnavailable) for r in results)
        with pytest.raises(RateLimitUnavailable):
            await limiter.take("acme", "events", NOW)
    finally:
        await redis.aclose()
