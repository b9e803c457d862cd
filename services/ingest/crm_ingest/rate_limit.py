"""A token bucket per (account, endpoint) in Redis, refilled and taken in one Lua script;
decided in this process while Redis cannot be asked.

One script call is atomic in Redis, so replicas sharing the bucket never both take its last
token. "Now" comes from the service's clock and is passed in, so tests control refills.

Within one process, requests for the same bucket that arrive while a call is on its way share
the next call, which takes as many tokens as there are requests (granted in arrival order):
the same verdicts as one call each, for one round trip to Redis instead of dozens.

Accepting events never depends on Redis (docs/architecture.md, ingest): when a call fails or
does not answer within `redis_timeout_s`, the limiter decides locally with the same limits,
per process (so N replicas let up to N times the limit through while Redis is down), and asks
Redis again at most once per `probe_every_s`, so an outage does not cost every request a
failed round trip. The first answer from Redis ends local mode.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

log = structlog.get_logger(__name__)

LOCAL_MODE = Gauge(
    "crm_ingest_rate_limit_local",
    "1 while the rate limit is decided in this process because Redis cannot be asked.",
)
LOCAL_DECISIONS = Counter(
    "crm_ingest_rate_limit_local_decisions",
    "Rate-limit verdicts decided in this process (Redis could not be asked), by verdict.",
    ["verdict"],
)

# Refill, then take what is wanted; LocalBuckets.take does the same arithmetic.
TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens)
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
local granted = math.min(wanted, math.floor(tokens))
tokens = tokens - granted
local wait_ms = 0
if granted < wanted then
  wait_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {granted, wait_ms}
"""

# Enough for every (account, endpoint) of a large accounts file; past it the least recently
# used bucket goes, and its next request starts from a full bucket.
MAX_LOCAL_BUCKETS = 10_000


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


@dataclass
class _Bucket:
    tokens: float
    ts_ms: int


class LocalBuckets:
    """The Lua script's token buckets in this process's memory, for while Redis is away.

    The arithmetic is the script's, line for line, so a request gets the verdict Redis would
    have given for the same bucket. A bucket idle long enough to be full again is the same as
    no bucket, so it is dropped; the least recently used ones go past `max_buckets`.
    """

    def __init__(self, *, per_second: float, burst: int, max_buckets: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self.max_buckets = max_buckets
        # Least recently used first.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def clear(self) -> None:
        self._buckets.clear()

    def take(self, key: str, now_ms: int, wanted: int) -> tuple[int, int]:
        """(tokens granted, ms until the next one when fewer than wanted were granted)."""
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now_ms)
        tokens = min(float(self.burst), bucket.tokens)
        if now_ms > bucket.ts_ms:
            tokens = min(self.burst, tokens + (now_ms - bucket.ts_ms) * self.per_second / 1000)
            bucket.ts_ms = now_ms
        granted = min(wanted, math.floor(tokens))
        bucket.tokens = tokens - granted
        wait_ms = 0
        if granted < wanted:
            wait_ms = math.ceil((1 - bucket.tokens) * 1000 / self.per_second)
        self._buckets[key] = bucket
        self._evict(now_ms)
        return granted, wait_ms

    def _evict(self, now_ms: int) -> None:
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            refilled = oldest.tokens + (now_ms - oldest.ts_ms) * self.per_second / 1000
            if refilled < self.burst and len(self._buckets) <= self.max_buckets:
                return
            self._buckets.popitem(last=False)


@dataclass
class _Request:
    now: datetime
    # The one request that asks Redis whether it is back, while the limiter decides locally.
    probe: bool = False
    verdict: asyncio.Future[Verdict] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RateLimiter:
    def __init__(
        self,
        redis: Redis,
        *,
        per_second: float,
        burst: int,
        key_prefix: str = "ingest",
        redis_timeout_s: float = 0.5,
        probe_every_s: float = 1.0,
        max_local_buckets: int = MAX_LOCAL_BUCKETS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._take = redis.register_script(TAKE_SCRIPT)
        self.key_prefix = key_prefix
        self.per_second = per_second
        self.burst = burst
        self.redis_timeout_s = redis_timeout_s
        self.probe_every_s = probe_every_s
        # Measures only the probe interval; bucket refills follow the `now` of each request.
        self._monotonic = monotonic
        self.local = LocalBuckets(per_second=per_second, burst=burst, max_buckets=max_local_buckets)
        self.deciding_locally = False
        self._next_probe_at = 0.0
        self._waiting: dict[str, list[_Request]] = {}
        # The task asking Redis for each bucket that has a call on its way.
        self._asking: dict[str, asyncio.Task[None]] = {}

    async def take(self, account_id: str, endpoint: str, now: datetime) -> Verdict:
        """One token of the (account, endpoint) bucket, or how long to wait for one."""
        key = f"{self.key_prefix}:rate:{account_id}:{endpoint}"
        probe = False
        if self.deciding_locally:
            if self._monotonic() < self._next_probe_at:
                return self._decide_locally(key, [_milliseconds(now)])[0]
            # This request asks Redis; the others go on locally until the next interval.
            self._next_probe_at = self._monotonic() + self.probe_every_s
            probe = True
        request = _Request(now, probe)
        self._waiting.setdefault(key, []).append(request)
        if key not in self._asking:
            self._asking[key] = asyncio.create_task(self._ask(key))
        return await asyncio.shield(request.verdict)

    async def _ask(self, key: str) -> None:
        try:
            while requests := self._waiting.pop(key, None):
                await self._answer(key, requests)
        finally:
            del self._asking[key]

    async def _answer(self, key: str, requests: list[_Request]) -> None:
        if self.deciding_locally and not any(r.probe for r in requests):
            # Queued behind a call that failed meanwhile.
            self._settle_locally(key, requests)
            return
        args = [self.per_second, self.burst, max(_milliseconds(r.now) for r in requests)]
        try:
            async with asyncio.timeout(self.redis_timeout_s):
                try:
                    granted, wait_ms = await self._take(keys=[key], args=[*args, len(requests)])
                except RedisConnectionError:
                    # The pool's connection may have died with a Redis that restarted since;
                    # one call on a new connection tells that apart from Redis being away.
                    granted, wait_ms = await self._take(keys=[key], args=[*args, len(requests)])
        except Exception as error:
            # Whatever keeps Redis from answering (refused, reset, no answer in time, a reply
            # of another shape) is no reason to refuse an event.
            self._go_local(error)
            self._settle_locally(key, requests)
            return
        self._back_to_redis()
        refused = Verdict(False, _retry_after_s(int(wait_ms)))
        for index, request in enumerate(requests):
            _settle(request.verdict, Verdict(True, 0) if index < int(granted) else refused)

    def _settle_locally(self, key: str, requests: list[_Request]) -> None:
        verdicts = self._decide_locally(key, [_milliseconds(r.now) for r in requests])
        for request, verdict in zip(requests, verdicts, strict=True):
            _settle(request.verdict, verdict)

    def _decide_locally(self, key: str, times_ms: list[int]) -> list[Verdict]:
        granted, wait_ms = self.local.take(key, max(times_ms), len(times_ms))
        LOCAL_DECISIONS.labels(verdict="allowed").inc(granted)
        LOCAL_DECISIONS.labels(verdict="refused").inc(len(times_ms) - granted)
        refused = Verdict(False, _retry_after_s(wait_ms))
        return [Verdict(True, 0) if n < granted else refused for n in range(len(times_ms))]

    def _go_local(self, error: BaseException) -> None:
        self._next_probe_at = self._monotonic() + self.probe_every_s
        if self.deciding_locally:
            return
        self.deciding_locally = True
        LOCAL_MODE.set(1)
        log.warning(
            "rate limit decided locally: Redis cannot be asked",
            error=repr(error),
            probe_every_s=self.probe_every_s,
        )

    def _back_to_redis(self) -> None:
        if not self.deciding_locally:
            return
        self.deciding_locally = False
        LOCAL_MODE.set(0)
        # Redis holds the shared buckets again; the local ones would only be stale next time.
        self.local.clear()
        log.info("rate limit decided in Redis again")


def _milliseconds(now: datetime) -> int:
    return int(now.timestamp() * 1000)


def _retry_after_s(wait_ms: int) -> int:
    return max(1, math.ceil(wait_ms / 1000))


def _settle(future: asyncio.Future[Verdict], verdict: Verdict) -> None:
    if not future.done():  # its request was cancelled meanwhile
        future.set_result(verdict)
