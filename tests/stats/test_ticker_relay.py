"""The ticker relay appends each queued item once, even when its queue row comes back
(a relay that died after XADD and before deleting the row)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import asyncpg
import pytest
from redis.asyncio import Redis

from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.runtime import Resources
from crm_stats.main import MIGRATIONS
from crm_stats.repository import ticker_queue
from crm_stats.repository.ticker_queue import RELAY_LOCK_KEY, queue_ticker_items
from crm_stats.settings import StatsSettings
from crm_stats.ticker_stream import TickerRelay, recent_items


@pytest.fixture
async def relay_resources(
    new_database: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[Resources]:
    """A stats database migrated, Redis, and what a relay takes of a running service."""
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    settings = StatsSettings(
        environment="test",
        database_url=new_database,
        redis_url=redis_url,
        accounts_file=tmp_path / "none.yaml",
    )
    pool = await create_pool(new_database)
    redis = Redis.from_url(redis_url)
    # The relay needs no producer: stats emits nothing to Kafka.
    yield Resources(
        settings, Accounts([]), SYSTEM_CLOCK, pool, cast(Any, None), redis, asyncio.Event()
    )
    await pool.close()
    await redis.aclose()


async def test_a_requeued_item_is_not_appended_twice(relay_resources: Resources) -> None:
    account = f"relay{uuid.uuid4().hex[:10]}"
    res = relay_resources
    pool, redis = res.pool, res.redis
    relay = TickerRelay(res)
    item = {
        "kind": "event",
        "at": "2026-10-20T09:00:00Z",
        "customer_id": None,
        "text": "Meeting held with Kari",
        "data": {"event_id": "e-1"},
    }
    for item_id in ("e-1", "e-1", "e-2"):
        async with pool.acquire() as conn, conn.transaction():
            await queue_ticker_items(
                conn, [(account, item_id, {**item, "data": {"event_id": item_id}})]
            )
        assert await relay.drain() == 1
        assert await relay.drain() == 0
    items = await recent_items(redis, account, 10)
    assert [i["data"]["event_id"] for i in items] == ["e-2", "e-1"]
    assert items[0]["text"] == "Meeting held with Kari"
    assert items[0]["id"] > items[1]["id"]


WAIT_S = 30.0


async def _second_relay_waits(conn: asyncpg.Connection) -> bool:
    """Polls (up to WAIT_S) until a session waits for the relays' advisory lock."""
    query = """
    SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                   AND objid = $1::bigint::oid AND objsubid = 1)
    """
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while asyncio.get_running_loop().time() < deadline:
        if await conn.fetchval(query, RELAY_LOCK_KEY):
            return True
        await asyncio.sleep(0.02)
    return False


async def test_two_relays_take_turns_so_items_reach_the_stream_in_queue_order(
    relay_resources: Resources,
) -> None:
    """While one replica's relay holds a chunk (e-1), another replica's relay waits for it
    rather than appending the next chunk (e-2) first, which would put a customer's later item
    before an earlier one; once the first lets go, the items go out in queue order."""
    account = f"turns{uuid.uuid4().hex[:10]}"
    res = relay_resources
    pool, redis = res.pool, res.redis
    item = {"kind": "event", "at": "2026-10-20T09:00:00Z", "customer_id": None, "text": "x"}
    async with pool.acquire() as conn, conn.transaction():
        await queue_ticker_items(
            conn, [(account, i, {**item, "data": {"event_id": i}}) for i in ("e-1", "e-2")]
        )
    async with pool.acquire() as first, pool.acquire() as watcher:
        chunk = first.transaction()
        await chunk.start()
        assert [row.item_id for row in await ticker_queue.take(first, 1)] == ["e-1"]
        second = asyncio.create_task(TickerRelay(res).drain())
        assert await _second_relay_waits(watcher)
        assert await recent_items(redis, account, 10) == []
        # The first relay gives its chunk back (Redis away, say): the second goes on.
        await chunk.rollback()
        assert await second == 2
    items = await recent_items(redis, account, 10)
    assert [i["data"]["event_id"] for i in items] == ["e-2", "e-1"]
