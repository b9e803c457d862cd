"""The live ticker over SSE (new items, resuming with Last-Event-ID, no duplicates on
redelivery) and the API's answers to bad requests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account
from crm_servicekit.clock import FixedClock

from .kafka_support import eventually, produce
from .scripted_week import AS_OF, at, event
from .service_support import RunningStats, StartStats, sse_items

pytestmark = pytest.mark.integration
STREAM_WITHIN_S = 120


def ticker_events(account: str, count: int) -> list[EventEnvelope]:
    customer = uuid.uuid4()
    first = event(
        "MEETING_BOOKED",
        customer,
        at(20, 10),
        {"booking_time": at(21, 12)},
        account=account,
        event_id=f"b-{uuid.uuid4()}",
    )
    rest = [
        event(
            "VIDEO_SENT",
            customer,
            at(20, 11) + timedelta(minutes=n),
            account=account,
            event_id=f"v-{uuid.uuid4()}",
        )
        for n in range(count - 1)
    ]
    return [first, *rest]


async def newest_id(stats: RunningStats, account: str) -> str:
    items = (await stats.get("/api/ticker", account, limit=1)).json()["items"]
    return items[0]["id"] if items else "0-0"


async def test_ticker_stream_delivers_new_items_and_resumes_without_gaps(
    start_stats: StartStats, kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    account = f"tick{uuid.uuid4().hex[:10]}"
    topic = new_topic(partitions=3)
    async with start_stats(
        topic=topic,
        accounts=[Account(account_id=account, time_zone="UTC")],
        clock=FixedClock(AS_OF),
    ) as stats:
        headers = {**stats.auth(account), "Last-Event-ID": await newest_id(stats, account)}
        first_events = ticker_events(account, 1)
        listening = asyncio.create_task(sse_items(stats.base_url, headers, 1))
        await produce(kafka_bootstrap, first_events, topic)
        [first] = await asyncio.wait_for(listening, STREAM_WITHIN_S)
        assert first["kind"] == "event"
        assert first["data"]["event_id"] == first_events[0].event_id
        assert first["text"] == "a customer booked a meeting for Wed 21 Oct 12:00"
        assert first["sse_id"] == first["id"]

        # While the client is away three more items arrive; it resumes from its last id, as a
        # browser's EventSource does: Last-Event-ID set for it, the token in the query.
        later = ticker_events(account, 3)
        await produce(kafka_bootstrap, later, topic)

        async def held() -> int:
            return len((await stats.get("/api/ticker", account, limit=10)).json()["items"])

        await eventually(held, lambda n: n >= 4, within_s=STREAM_WITHIN_S)
        resumed = await asyncio.wait_for(
            sse_items(
                stats.base_url,
                {"Last-Event-ID": first["id"]},
                3,
                params={"access_token": stats.token(account)},
            ),
            STREAM_WITHIN_S,
        )
        assert [i["data"]["event_id"] for i in resumed] == [e.event_id for e in later]

        # Redelivered events (same ids) add no ticker item.
        await produce(kafka_bootstrap, later, topic)
        marker = ticker_events(account, 1)
        await produce(kafka_bootstrap, marker, topic)
        await eventually(held, lambda n: n >= 5, within_s=STREAM_WITHIN_S)
        newest = (await stats.get("/api/ticker", account, limit=10)).json()["items"]
        assert [i["data"]["event_id"] for i in newest] == [
            marker[0].event_id,
            *reversed([e.event_id for e in later]),
            first_events[0].event_id,
        ]


async def test_bad_requests_are_problems_naming_the_field(
    start_stats: StartStats, new_topic: Callable[..., str]
) -> None:
    async with start_stats(
        topic=new_topic(partitions=1),
        accounts=[Account(account_id="acme")],
        clock=FixedClock(AS_OF),
    ) as stats:
        anonymous = await stats.client.get("/api/customers/stats")
        assert anonymous.status_code == 401
        cases: list[tuple[str, dict[str, Any], list[str]]] = [
            ("/api/customers/stats", {"period": "custom"}, ["query", "from"]),
            (
                "/api/customers/stats",
                {"period": "custom", "from": "2026-10-20T00:00:00Z", "to": "2026-10-19T00:00:00Z"},
                ["query", "to"],
            ),
            ("/api/customers/stats", {"pipeline": "astrology"}, ["query", "pipeline"]),
            ("/api/customers/stats", {"period": "month"}, ["query", "period"]),
            ("/api/customers/stats", {"as_of": "2026-10-20T10:00:00"}, ["query", "as_of"]),
            ("/api/stats/dmo", {"days": 91}, ["query", "days"]),
            ("/api/stats/dmo", {"days": 0}, ["query", "days"]),
            ("/api/events", {"type": "NOPE"}, ["query", "type"]),
            ("/api/events", {"customer_id": "not-a-uuid"}, ["query", "customer_id"]),
            ("/api/events", {"cursor": "!!"}, ["query", "cursor"]),
            ("/api/ticker", {"limit": 0}, ["query", "limit"]),
        ]
        for path, params, loc in cases:
            response = await stats.get(path, "acme", **params)
            assert response.status_code == 422, (path, params, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert loc in [e["loc"] for e in response.json()["errors"]], (path, response.text)
        empty = (await stats.get("/api/customers/stats", "acme", pipeline="Frazer")).json()
        assert empty["by_pipeline_status"]["New"] == 0
        assert empty["funnel"]["rates"]["qualified"] is None
        assert empty["period"]["name"] == "today"
        dmo = (await stats.get("/api/stats/dmo", "acme", days=90)).json()
        assert len(dmo["items"]) == 90
        assert dmo["items"][0]["date"] == "2026-10-25"  # Oslo's Sunday 23:45 at AS_OF
        bad_resume = await stats.client.get(
            "/api/ticker/stream", headers={**stats.auth("acme"), "Last-Event-ID": "x"}
        )
        assert bad_resume.status_code == 422
        # Only the stream takes the token as a query parameter (docs/api.md, Browsers).
        by_query = await stats.client.get(
            "/api/ticker", params={"access_token": stats.token("acme")}
        )
        assert by_query.status_code == 401
