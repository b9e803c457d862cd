"""The stats service against real Kafka, PostgreSQL and Redis: the scripted week end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crm_servicekit.accounts import Account
from crm_servicekit.clock import FixedClock

from .kafka_support import eventually, produce
from .scripted_week import (
    AS_OF,
    EXPECTED_BY_STATUS,
    EXPECTED_COUNTS,
    EXPECTED_DAYS,
    EXPECTED_DMO,
    EXPECTED_FUNNEL,
    EXPECTED_SALES,
    EXPECTED_SPEED,
    NY,
    OSLO,
    A,
    ny_sunday,
    oslo_week,
)
from .service_support import RunningStats, running_stats

pytestmark = pytest.mark.integration

ACCOUNTS = [
    Account(account_id=OSLO, time_zone="Europe/Oslo", dmo_targets={"invites": 2, "follow_ups": 1}),
    Account(account_id=NY, time_zone="America/New_York"),
]


def distinct_ids(account: str) -> set[str]:
    return {e.event_id for e in [*oslo_week(), *ny_sunday()] if e.account_id == account}


async def logged(stats: RunningStats, account: str) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        body = (await stats.get("/api/events", account, **params)).json()
        total += len(body["items"])
        if not (cursor := body["next_cursor"]):
            return total


async def all_consumed(stats: RunningStats) -> None:
    for account in (OSLO, NY):
        await wait_logged(stats, account, len(distinct_ids(account)))


async def wait_logged(stats: RunningStats, account: str, want: int) -> None:
    async def probe() -> int:
        return await logged(stats, account)

    await eventually(probe, lambda n: n >= want)


async def assert_week_figures(stats: RunningStats) -> None:
    response = await stats.get(
        "/api/customers/stats", OSLO, period="week", pipeline="sales", as_of=AS_OF.isoformat()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == {
        "name": "week",
        "from": "2026-10-18T22:00:00Z",
        "to": "2026-10-25T23:00:00Z",
        "tz": "Europe/Oslo",
    }
    assert body["counts"] == EXPECTED_COUNTS
    assert body["by_status"] == EXPECTED_BY_STATUS
    assert body["opted_out"] == 1
    assert body["by_pipeline_status"] == EXPECTED_SALES
    assert body["funnel"] == EXPECTED_FUNNEL
    assert body["speed_to_lead"] == EXPECTED_SPEED
    assert body["dmo"] == EXPECTED_DMO
    assert body["pipeline_health"] == pytest.approx(0.8)
    dmo = (await stats.get("/api/stats/dmo", OSLO, days=7, as_of=AS_OF.isoformat())).json()
    assert [(i["date"], i["invites"], i["follow_ups"]) for i in dmo["items"]] == EXPECTED_DAYS
    assert dmo["streak_days"] == 4


async def test_the_week_through_kafka_then_replayed_into_an_empty_database(
    kafka_bootstrap: str,
    new_database: str,
    replay_database: str,
    redis_url: str,
    new_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    topic = new_topic(partitions=3)
    await produce(kafka_bootstrap, [*oslo_week(), *ny_sunday()], topic)
    common: dict[str, Any] = {
        "tmp_path": tmp_path,
        "kafka_bootstrap": kafka_bootstrap,
        "redis_url": redis_url,
        "topic": topic,
        "accounts": ACCOUNTS,
        "clock": FixedClock(AS_OF),
    }
    async with running_stats(database_url=new_database, **common) as stats:
        await all_consumed(stats)
        await assert_week_figures(stats)
        await assert_event_log(stats)
    # The rebuild: the same records read from the start by an empty database (a copy of the
    # topic rather than a reset of the shared group "stats", which other test runs on this
    # broker may hold members of). Here every fact arrives late and in reverse order, in
    # small batches; only the customers service's announcements keep their order.
    week = oslo_week()
    announced = [e for e in week if e.source.value == "system"]
    facts = [e for e in week if e.source.value != "system"]
    replay_topic = new_topic(partitions=3)
    await produce(kafka_bootstrap, [*announced, *ny_sunday()], replay_topic)
    common["topic"] = replay_topic
    async with running_stats(database_url=replay_database, **common) as replayed:
        for start in range(0, len(facts), 5):
            await produce(kafka_bootstrap, list(reversed(facts))[start : start + 5], replay_topic)
        await all_consumed(replayed)
        await assert_week_figures(replayed)


async def assert_event_log(stats: RunningStats) -> None:
    of_a = (await stats.get(f"/api/events/customer/{A}", OSLO)).json()["items"]
    assert {e["customer_id"] for e in of_a} == {str(A)}
    stamps = [e["timestamp"] for e in of_a]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert len(of_a) == 10
    invites = (await stats.get("/api/events/type/INVITE_SENT", OSLO)).json()["items"]
    assert len(invites) == 13
    no_show = await stats.get("/api/events", OSLO, type="NO_SHOW", customer_id=str(A))
    assert [e["event_name"] for e in no_show.json()["items"]] == ["NO_SHOW"]
    sunday = await stats.get(
        "/api/events",
        OSLO,
        type="INVITE_SENT",
        **{"from": "2026-10-24T22:00:00Z"},
        to="2026-10-25T23:00:00Z",
    )
    assert [e["timestamp"] for e in sunday.json()["items"]] == [
        "2026-10-25T00:30:00Z",
        "2026-10-24T22:30:00Z",
    ]
    # Paging through with a cursor gives every event once.
    first = (await stats.get("/api/events", OSLO, limit=20)).json()
    second = (await stats.get("/api/events", OSLO, limit=20, cursor=first["next_cursor"])).json()
    ids = [e["event_id"] for e in first["items"] + second["items"]]
    assert len(set(ids)) == 40
    # Every catalog type is accepted; an unknown one is 422 naming the field.
    for name in ("COACHING_PROMPT", "REMINDER_DUE", "CUSTOMER_DELETED", "UNSUBSCRIBED"):
        assert (await stats.get(f"/api/events/type/{name}", OSLO)).status_code == 200
    unknown = await stats.get("/api/events/type/NOT_AN_EVENT", OSLO)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["path", "event_name"]
    # Another account sees none of them.
    assert (await stats.get(f"/api/events/customer/{A}", NY)).json()["items"] == []
    ny_events = (await stats.get("/api/events", NY, limit=500)).json()["items"]
    assert {e["account_id"] for e in ny_events} == {NY}
    ny_stats = (
        await stats.get("/api/customers/stats", NY, period="week", as_of=AS_OF.isoformat())
    ).json()
    assert ny_stats["counts"]["invites_sent"] == 0
    assert sum(ny_stats["by_status"].values()) == 0
