"""The live ticker in Redis: one capped Stream per account, fed after commit by a relay.

Items are queued in PostgreSQL with the batch (ticker_pending) and appended here by the
relay once committed. The append is guarded by a per-item key set in the same Lua call, so
a relay that dies between XADD and deleting the queue row appends nothing twice. Stream ids
are the SSE ids: a client reconnecting with Last-Event-ID reads on from there (XREAD), which
pub/sub could not do.

Redis holds only the ticker: while it cannot be asked, the ticker's routes answer 503 (the
figures and the consumer go on), items wait in ticker_pending, and the relay appends them
once Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import structlog
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from crm_servicekit.db import plain_postgres_dsn
from crm_servicekit.runtime import Resources
from crm_stats.repository import ticker_queue
from crm_stats.settings import StatsSettings

log = structlog.get_logger(__name__)
T = TypeVar("T")

_APPEND_ONCE = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
    return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'item', ARGV[1])
end
return false
"""
DRAIN_BATCH = 200
IDLE_WAIT_S = 1.0


class TickerUnavailable(Exception):
    """Redis did not answer (refused, reset, or not within the timeout)."""


async def ask_redis(call: Callable[[], Awaitable[T]], timeout_s: float) -> T:
    """`call()` within timeout_s, or TickerUnavailable. A call that fails on a dropped
    connection is made once more: the pool's connection may have died with a Redis that
    restarted since, and a new one tells that apart from Redis being away."""
    try:
        async with asyncio.timeout(timeout_s):
            try:
                return await call()
            except RedisConnectionError:
                return await call()
    except (RedisError, OSError) as error:  # OSError: TimeoutError and socket errors
        raise TickerUnavailable(repr(error)) from error


def stream_key(account_id: str) -> str:
    return f"stats:ticker:{account_id}"


def guard_key(account_id: str, item_id: str) -> str:
    return f"stats:ticker:appended:{account_id}:{item_id}"


def _decode(entry_id: bytes | str, fields: dict[Any, Any]) -> dict[str, Any]:
    raw = fields.get(b"item") or fields.get("item")
    if raw is None:
        raise ValueError(f"ticker entry {entry_id!r} has no item field")
    item: dict[str, Any] = json.loads(raw)
    item_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return {"id": item_id, **item}


async def recent_items(redis: Redis, account_id: str, limit: int) -> list[dict[str, Any]]:
    # redis-py's stubs type stream replies loosely; they are [(id, {field: value})].
    entries: Any = await redis.xrevrange(stream_key(account_id), count=limit)
    return [_decode(entry_id, fields) for entry_id, fields in entries]


async def newest_id(redis: Redis, account_id: str) -> str:
    """The id of the account's newest item ("0-0" when there is none)."""
    newest: Any = await redis.xrevrange(stream_key(account_id), count=1)
    return str(newest[0][0].decode()) if newest else "0-0"


async def items_after(
    redis: Redis, account_id: str, last_id: str, block_ms: int
) -> tuple[str, list[dict[str, Any]]]:
    """Items after last_id, waiting up to block_ms."""
    key = stream_key(account_id)
    answer: Any = await redis.xread({key: last_id}, block=block_ms, count=100)
    items = [_decode(entry_id, fields) for _, entries in answer for entry_id, fields in entries]
    return (items[-1]["id"] if items else last_id), items


async def live_items(
    redis: Redis,
    account_id: str,
    last_id: str,
    disconnected: Callable[[], Awaitable[bool]],
) -> AsyncIterator[dict[str, Any]]:
    """Ends when Redis stops answering: the client reconnects with the Last-Event-ID it has
    and is answered 503 until Redis is back, then resumes where it was."""
    while not await disconnected():
        try:
            last_id, items = await items_after(redis, account_id, last_id, block_ms=5000)
        except (RedisError, OSError) as error:
            log.warning("ticker stream ended: Redis cannot be asked", error=repr(error))
            return
        for item in items:
            yield item


class TickerRelay:
    """Moves committed ticker items from PostgreSQL to Redis; woken by NOTIFY."""

    def __init__(self, res: Resources) -> None:
        assert res.redis is not None, "the ticker needs Redis"
        assert isinstance(res.settings, StatsSettings)
        self.res = res
        self.redis: Redis = res.redis
        self.settings: StatsSettings = res.settings
        self.append_once = self.redis.register_script(_APPEND_ONCE)
        self.woken = asyncio.Event()
        # Set while Redis cannot be asked, so an outage is logged once, not every pass.
        self.redis_down = False

    async def run(self) -> None:
        listener = await asyncpg.connect(plain_postgres_dsn(self.settings.database_url))
        try:
            await listener.add_listener(ticker_queue.TICKER_CHANNEL, lambda *_: self.woken.set())
            while not self.res.stop.is_set():
                self.woken.clear()
                await self._drain_queue()
                # While Redis is down, new batches' notices do not make it try sooner.
                waiting = self.res.stop.wait() if self.redis_down else self._woken_or_stopped()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiting, timeout=IDLE_WAIT_S)
        finally:
            await listener.close()

    async def _drain_queue(self) -> None:
        try:
            while await self.drain() == DRAIN_BATCH:
                pass
        except TickerUnavailable as error:
            if not self.redis_down:
                log.warning("ticker relay paused: Redis cannot be asked", error=str(error))
            self.redis_down = True
            return
        if self.redis_down:
            log.info("ticker relay resumed: Redis answers again")
        self.redis_down = False

    async def _woken_or_stopped(self) -> None:
        stop = asyncio.create_task(self.res.stop.wait())
        woken = asyncio.create_task(self.woken.wait())
        try:
            await asyncio.wait({stop, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            woken.cancel()

    async def drain(self) -> int:
        """Append one chunk of queued items; several replicas share the queue and take turns,
        so items reach the stream in the order they were queued. Without
        Redis, TickerUnavailable, and the chunk stays queued (its transaction rolls back;
        what a cut connection did append is guarded against appending twice)."""
        async with self.res.pool.acquire() as conn, conn.transaction():
            rows = await ticker_queue.take(conn, DRAIN_BATCH)
            if rows:
                await ask_redis(lambda: self._append(rows), self.settings.ticker_redis_timeout_s)
                await ticker_queue.remove(conn, rows)
        return len(rows)

    async def _append(self, rows: list[ticker_queue.PendingItem]) -> None:
        # One round trip for the chunk (each call still appends only once, guarded, so the
        # chunk may be sent again); awaiting each append alone was 13% of the service's CPU
        # under load.
        async with self.redis.pipeline(transaction=False) as pipe:
            for row in rows:
                await self.append_once(
                    keys=[stream_key(row.account_id), guard_key(row.account_id, row.item_id)],
                    args=[
                        row.item,
                        self.settings.ticker_max_items,
                        self.settings.ticker_guard_ttl_s,
                    ],
                    client=pipe,
                )
            await pipe.execute()


async def run_ticker_relay(res: Resources) -> None:
    await TickerRelay(res).run()
