"""The event log's lists: each pages through everything once with its own cursors and refuses
with 422 naming `cursor` any other (forged, of another list, changed); `from`, `to` and `as_of`
at and beyond their bounds."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from forged_cursors import not_its_own

from crm_servicekit.accounts import Account
from crm_servicekit.clock import FixedClock
from crm_servicekit.pagination import cursor_key
from crm_stats.settings import StatsSettings

from .kafka_support import eventually, produce
from .scripted_week import AS_OF, at, event
from .service_support import JWT_SECRET, RunningStats, StartStats

pytestmark = pytest.mark.integration
ACCOUNT = "acme"
COUNT = 5


async def walk(stats: RunningStats, path: str, params: dict[str, Any]) -> tuple[list[str], str]:
    """Every event id of a list, a page of 2 at a time, and the first page's cursor."""
    ids: list[str] = []
    cursor: str | None = None
    first: str | None = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = await stats.get(path, ACCOUNT, **query)
        assert answer.status_code == 200, answer.text
        ids += [item["event_id"] for item in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        first = first or cursor
        if cursor is None:
            break
    assert first is not None
    return ids, first


async def test_each_event_list_pages_once_and_takes_only_its_own_cursors(
    start_stats: StartStats, kafka_bootstrap: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic(partitions=1)
    customer = uuid.uuid4()
    sent = [
        event("VIDEO_SENT", customer, at(20, 11) + timedelta(minutes=n), account=ACCOUNT)
        for n in range(COUNT)
    ]
    async with start_stats(
        topic=topic,
        accounts=[Account(account_id=ACCOUNT)],
        clock=FixedClock(AS_OF),
    ) as stats:
        await produce(kafka_bootstrap, sent, topic)

        async def logged() -> int:
            return len((await stats.get("/api/events", ACCOUNT, limit=500)).json()["items"])

        await eventually(logged, lambda n: n == COUNT)
        lists = {
            "/api/events": ("/api/events", {}),
            "/api/events/customer": (f"/api/events/customer/{customer}", {}),
            "/api/events/type": ("/api/events/type/VIDEO_SENT", {}),
        }
        newest_first = [e.event_id for e in reversed(sent)]
        genuine: dict[str, str] = {}
        for name, (path, params) in lists.items():
            ids, genuine[name] = await walk(stats, path, params)
            assert ids == newest_first, name
        key = cursor_key(StatsSettings(environment="test", jwt_secret=JWT_SECRET))
        for name, (path, params) in lists.items():
            forged = not_its_own(key, name, genuine, text_at=[1])  # event ids are text
            for what, cursor in forged:
                answer = await stats.get(path, ACCOUNT, **params, cursor=cursor)
                assert answer.status_code == 422, (name, what, answer.text)
                assert [e["loc"] for e in answer.json()["errors"]] == [["query", "cursor"]]

        for bad in (
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:00:00-05:00",
            "3000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-10-20T10:00:00",
        ):
            for field, path in (("from", "/api/events"), ("to", "/api/events")):
                answer = await stats.get(path, ACCOUNT, **{field: bad})
                assert answer.status_code == 422, (field, bad)
                assert [e["loc"] for e in answer.json()["errors"]] == [["query", field]]
            as_of = await stats.get("/api/customers/stats", ACCOUNT, as_of=bad)
            assert [e["loc"] for e in as_of.json()["errors"]] == [["query", "as_of"]]
        widest = await stats.get(
            "/api/events",
            ACCOUNT,
            **{"from": "1970-01-01T00:00:00Z", "to": "2999-12-31T23:59:59.999999Z"},
        )
        assert [e["event_id"] for e in widest.json()["items"]] == newest_first
