"""The ticker relay appends each queued item once, even when its queue row comes back
(a relay that died after XADD and before deleting the row)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, cast

from redis.asyncio import Redis

from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.runtime import Resources
from crm_stats.main import MIGRATIONS
from crm_stats.repository.ticker_queue import queue_ticker_items
from crm_stats.settings import StatsSettings
from crm_stats.ticker_stream import TickerRelay, recent_items


async def test_a_requeued_item_is_not_appended_twice(
    new_database: str, redis_url: str, tmp_path: Path
) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    account = f"relay{uuid.uuid4().hex[:10]}"
    settings = StatsSettings(
        environment="test",
        database_url=new_database,
        redis_url=redis_url,
        accounts_file=tmp_path / "none.yaml",
    )
    pool = await create_pool(new_database)
    redis = Redis.from_url(redis_url)
    # The relay needs no producer: stats emits nothing to Kafka.
    res = Resources(
        settings, Accounts([]), SYSTEM_CLOCK, pool, cast(Any, None), redis, asyncio.Event()
    )
    relay = TickerRelay(res)
    item = {
        "kind": "event",
        "at": "2026-10-20T09:00:00Z",
        "customer_id": None,
        "text": "Meeting held with Kari",
        "data": {"event_id": "e-1"},
    }
    try:
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
    finally:
        await pool.close()
        await redis.aclose()
