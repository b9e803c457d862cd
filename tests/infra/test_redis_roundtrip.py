"""Values and a capped stream round-trip through redis.asyncio."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

pytestmark = pytest.mark.integration


async def test_value_and_capped_stream_round_trip(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    prefix = f"test:{uuid.uuid4().hex}"
    try:
        await client.set(f"{prefix}:key", "value", ex=60)
        assert await client.get(f"{prefix}:key") == "value"

        stream = f"{prefix}:ticker"
        for n in range(5):
            await client.xadd(stream, {"n": str(n)}, maxlen=3, approximate=False)
        entries = await client.xrange(stream)
        assert [fields["n"] for _, fields in entries] == ["2", "3", "4"]
        # Resuming after a known id (as an SSE Last-Event-ID would) returns only what follows.
        after = await client.xrange(stream, min=f"({entries[0][0]}")
        assert [fields["n"] for _, fields in after] == ["3", "4"]
    finally:
        await client.delete(f"{prefix}:key", f"{prefix}:ticker")
        await client.aclose()
