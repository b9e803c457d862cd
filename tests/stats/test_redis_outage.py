"""Redis holds only the ticker. With stats' Redis behind a proxy that refuses connections, an
open ticker stream ends, the ticker's routes answer 503 with Retry-After, the consumer and the
figures go on, the replica stays ready (Redis degraded), and the items queued meanwhile reach
the ticker once Redis is back; a connection dropped by a Redis that restarted at once costs no
503."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from tcp_proxy import tcp_proxy

from crm_servicekit.accounts import Account
from crm_servicekit.clock import FixedClock

from .kafka_support import eventually, produce
from .scripted_week import AS_OF, at, event
from .service_support import StartStats, sse_items

pytestmark = pytest.mark.integration


async def test_ticker_answers_503_and_catches_up_while_figures_go_on(
    start_stats: StartStats, kafka_bootstrap: str, redis_url: str, new_topic: Callable[..., str]
) -> None:
    account = f"outage{uuid.uuid4().hex[:10]}"
    topic = new_topic(partitions=1)
    booked = [
        event(
            "MEETING_BOOKED",
            uuid.uuid4(),
            at(20, 10 + n),
            {"booking_time": at(21, 12)},
            account=account,
            event_id=f"b-{uuid.uuid4()}",
        )
        for n in range(2)
    ]
    target = urlsplit(redis_url)
    with tcp_proxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        async with start_stats(
            redis_url=f"redis://{proxy.address}/0",
            topic=topic,
            accounts=[Account(account_id=account, time_zone="UTC")],
            clock=FixedClock(AS_OF),
        ) as stats:
            # An open stream ends when Redis goes, so its client reconnects (and gets 503).
            streaming = asyncio.Event()
            listening = asyncio.create_task(
                sse_items(stats.base_url, stats.auth(account), 1, ready=streaming)
            )
            await asyncio.wait_for(streaming.wait(), timeout=60)
            proxy.refuse()
            assert await asyncio.wait_for(listening, timeout=60) == []
            await produce(kafka_bootstrap, booked, topic)

            async def meetings_booked() -> int:
                figures = await stats.custom_figures(account, at(20, 0), at(21, 0), AS_OF)
                return int(figures["counts"]["meetings_booked"])

            assert await eventually(meetings_booked, lambda n: n == 2) == 2

            listed = await stats.get("/api/ticker", account)
            assert listed.status_code == 503
            assert listed.headers["content-type"] == "application/problem+json"
            assert int(listed.headers["retry-after"]) >= 1
            streamed = await stats.get("/api/ticker/stream", account)
            assert streamed.status_code == 503
            assert int(streamed.headers["retry-after"]) >= 1

            ready = await stats.client.get("/health/ready")
            assert ready.status_code == 200
            assert ready.json()["checks"]["redis"]["status"] == "degraded"

            proxy.restore()

            async def ticker_ids() -> list[str]:
                answer = await stats.get("/api/ticker", account, limit=10)
                if answer.status_code != 200:
                    return []
                return [item["data"]["event_id"] for item in answer.json()["items"]]

            relayed = await eventually(ticker_ids, lambda ids: len(ids) >= 2)
            assert relayed == [e.event_id for e in reversed(booked)]

            # Redis crashed and came back at once: the next read makes a new connection.
            proxy.cut()
            again = await stats.get("/api/ticker", account, limit=10)
            assert again.status_code == 200, again.text
            assert len(again.json()["items"]) == 2
