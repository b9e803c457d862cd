"""A token bucket per (account, endpoint) in Redis, refilled and taken in one Lua script.

One script call is atomic in Redis, so replicas sharing the bucket never both take its last
token. "Now" comes from the service's clock and is passed in, so tests control refills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
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
local allowed = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait_ms}
"""


class RateLimitUnavailable(Exception):
    """Redis could not be asked; the caller answers 503 rather than let everything through."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int


class RateLimiter:
    def __init__(
        self, redis: Redis, *, per_second: float, burst: int, key_prefix: str = "ingest"
    ) -> None:
        self._take = redis.register_script(_TAKE)
        self.key_prefix = key_prefix
        self.per_second = per_second
        self.burst = burst

    async def take(self, account_id: str, endpoint: str, now: datetime) -> Verdict:
        key = f"{self.key_prefix}:rate:{account_id}:{endpoint}"
        now_ms = int(now.timestamp() * 1000)
        try:
            allowed, wait_ms = await self._take(
                keys=[key], args=[self.per_second, self.burst, now_ms]
            )
        except RedisError as error:
            raise RateLimitUnavailable(str(error)) from error
        return Verdict(bool(allowed), max(1, math.ceil(int(wait_ms) / 1000)))
