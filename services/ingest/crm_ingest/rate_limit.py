"""A token bucket per (account, endpoint) in Redis, refilled and taken in one Lua script.

One script call is atomic in Redis, so replicas sharing the bucket never both take its last
token. "Now" comes from the service's clock and is passed in, so tests control refills.

Within one process, requests for the same bucket that arrive while a call is on its way share
the next call, which takes as many tokens as there are requests (granted in arrival order):
the same verdicts as one call each, for one round trip to Redis instead of dozens.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

_TAKE = """
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


class RateLimitUnavailable(Exception):
    """Redis could not be asked; the caller answers 503 rather than let everything through."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


@dataclass
class _Request:
    now: datetime
    verdict: asyncio.Future[Verdict] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RateLimiter:
    def __init__(
        self, redis: Redis, *, per_second: float, burst: int, key_prefix: str = "ingest"
    ) -> None:
        self._take = redis.register_script(_TAKE)
        self.key_prefix = key_prefix
        self.per_second = per_second
        self.burst = burst
        self._waiting: dict[str, list[_Request]] = {}
        # The task asking Redis for each bucket that has a call on its way.
        self._asking: dict[str, asyncio.Task[None]] = {}

    async def take(self, account_id: str, endpoint: str, now: datetime) -> Verdict:
        """One token of the (account, endpoint) bucket, or how long to wait for one."""
        key = f"{self.key_prefix}:rate:{account_id}:{endpoint}"
        request = _Request(now)
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
        now_ms = int(max(r.now for r in requests).timestamp() * 1000)
        try:
            granted, wait_ms = await self._take(
                keys=[key], args=[self.per_second, self.burst, now_ms, len(requests)]
            )
        except RedisError as error:
            for request in requests:
                _settle(request.verdict, exception=RateLimitUnavailable(str(error)))
            return
        refused = Verdict(False, max(1, math.ceil(int(wait_ms) / 1000)))
        for index, request in enumerate(requests):
            _settle(request.verdict, Verdict(True, 0) if index < int(granted) else refused)


def _settle(
    future: asyncio.Future[Verdict],
    verdict: Verdict | None = None,
    exception: BaseException | None = None,
) -> None:
    if future.done():  # its request was cancelled meanwhile
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        assert verdict is not None
        future.set_result(verdict)
