"""The token bucket in real Redis: concurrent requests share calls but not tokens; without
Redis (refused behind a proxy, or not answering) the same limits decided in the process, and
Redis asked again at most once per probe interval."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from prometheus_client import REGISTRY
from redis.asyncio import Redis
from structlog.testing import capture_logs
from tcp_proxy import tcp_proxy

from crm_ingest.rate_limit import TAKE_SCRIPT, LocalBuckets, RateLimiter

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


async def test_local_buckets_give_the_verdicts_of_the_redis_script(redis_url: str) -> None:
    # 250 tokens a second is a quarter token a millisecond: exact in binary, so the script's
    # arithmetic and ours cannot part on rounding.
    redis = Redis.from_url(redis_url)
    script = redis.register_script(TAKE_SCRIPT)
    try:
        for seed in range(3):
            steps = random.Random(seed)
            key = f"t-{uuid.uuid4().hex}"
            local = LocalBuckets(per_second=250.0, burst=7, max_buckets=10)
            now_ms = 1_700_000_000_000
            for _ in range(200):
                now_ms += steps.randrange(0, 25)
                wanted = steps.randrange(1, 6)
                granted, wait_ms = await script(keys=[key], args=[250.0, 7, now_ms, wanted])
                assert local.take(key, now_ms, wanted) == (int(granted), int(wait_ms))
    finally:
        await redis.aclose()


async def test_without_redis_the_same_limits_are_decided_in_process() -> None:
    # Port 1 on localhost: nothing listens there, so every connection is refused.
    redis = Redis.from_url("redis://127.0.0.1:1/0")
    limiter = RateLimiter(redis, per_second=2.0, burst=3, redis_timeout_s=0.2)
    try:
        verdicts = await asyncio.gather(*(limiter.take("acme", "events", NOW) for _ in range(10)))
        assert limiter.deciding_locally
        assert [v.allowed for v in verdicts] == [True] * 3 + [False] * 7
        assert {v.retry_after_s for v in verdicts[3:]} == {1}
        half_second = await asyncio.gather(
            *(limiter.take("acme", "events", NOW + timedelta(seconds=0.5)) for _ in range(2))
        )
        assert [v.allowed for v in half_second] == [True, False]
    finally:
        await redis.aclose()


class Monotonic:
    """The limiter's interval clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def local_gauge() -> float | None:
    return REGISTRY.get_sample_value("crm_ingest_rate_limit_local")


async def test_back_to_redis_when_it_answers_asked_at_most_once_per_interval(
    redis_url: str,
) -> None:
    target = urlsplit(redis_url)
    prefix = f"t-{uuid.uuid4().hex}"
    key = f"{prefix}:rate:acme:events"
    interval = Monotonic()
    direct = Redis.from_url(redis_url)
    with tcp_proxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        redis = Redis.from_url(f"redis://{proxy.address}/0")
        limiter = RateLimiter(
            redis, per_second=1.0, burst=2, key_prefix=prefix, probe_every_s=1.0, monotonic=interval
        )
        try:
            proxy.refuse()
            with capture_logs() as going_local:
                verdicts = [await limiter.take("acme", "events", NOW) for _ in range(3)]
            assert [v.allowed for v in verdicts] == [True, True, False]
            assert limiter.deciding_locally
            assert local_gauge() == 1.0
            # One line for the switch, not one per request.
            assert [line["log_level"] for line in going_local] == ["warning"]
            proxy.restore()
            # Within the interval Redis is not asked: the local bucket still decides.
            assert not (await limiter.take("acme", "events", NOW)).allowed
            assert limiter.deciding_locally
            assert await direct.exists(key) == 0
            interval.now += 1.0
            with capture_logs() as going_back:
                probe = await limiter.take("acme", "events", NOW)
            # Redis decided: its bucket never saw the outage's requests, so it is full.
            assert probe.allowed
            assert not limiter.deciding_locally
            assert local_gauge() == 0.0
            assert await direct.exists(key) == 1
            assert [line["log_level"] for line in going_back] == ["info"]
        finally:
            await redis.aclose()
            await direct.aclose()


async def test_a_dropped_connection_is_made_again_without_leaving_redis(redis_url: str) -> None:
    target = urlsplit(redis_url)
    prefix = f"t-{uuid.uuid4().hex}"
    direct = Redis.from_url(redis_url)
    with tcp_proxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        redis = Redis.from_url(f"redis://{proxy.address}/0")
        limiter = RateLimiter(redis, per_second=1.0, burst=5, key_prefix=prefix)
        try:
            assert (await limiter.take("acme", "events", NOW)).allowed
            proxy.cut()  # Redis crashed and came back at once
            verdicts = [await limiter.take("acme", "events", NOW) for _ in range(2)]
            assert all(v.allowed for v in verdicts)
            assert not limiter.deciding_locally
            # All three tokens were taken from the bucket in Redis.
            assert await direct.hget(f"{prefix}:rate:acme:events", "tokens") == b"2"
        finally:
            await redis.aclose()
            await direct.aclose()


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A hung Redis: it takes connections and never answers. Yields its redis:// URL."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            await reader.read()  # until the client hangs up
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.close()


async def test_a_redis_that_does_not_answer_stalls_no_request() -> None:
    async with silent_server() as url:
        redis = Redis.from_url(url)
        limiter = RateLimiter(redis, per_second=1.0, burst=1, redis_timeout_s=0.2)
        try:
            # Bounded so that a stall fails the test instead of hanging it.
            verdict = await asyncio.wait_for(limiter.take("acme", "events", NOW), timeout=60)
            assert verdict.allowed
            assert limiter.deciding_locally
        finally:
            await redis.aclose()
