"""The "who next" list of an account with 1,000 customers, read page by page at two instants."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from typing import Any

import pytest

from crm_nba.policy.projection import project
from crm_nba.policy.table import recommend
from crm_schemas.system_properties import Recommendation
from crm_servicekit.accounts import Account

from .conftest import RunningNba
from .history import D, H, History, M, T, unchanged
from .kafka_io import eventually

pytestmark = pytest.mark.integration
ACME = Account(account_id="acme")
CUSTOMERS = 1000


def random_history(rng: random.Random) -> History:
    h = History()
    start = T + rng.randrange(0, 20 * 24) * H
    pattern = rng.choice(
        ["lead", "dm", "invite", "qualified", "video", "no_show", "joined", "unsubscribed", "held"]
    )
    if pattern == "lead":
        h.created(start)
        return h
    h.add("DM_STARTED", start)
    at = start + rng.randrange(1, 72) * H
    if pattern == "invite":
        h.add("INVITE_SENT", at)
    elif pattern == "qualified":
        h.add("LEAD_QUALIFIED", at)
    elif pattern == "video":
        h.add("VIDEO_SENT", at)
        if rng.random() < 0.5:
            h.add("FOLLOW_UP_DONE", at + rng.randrange(1, 60) * H)
    elif pattern == "no_show":
        h.add("MEETING_BOOKED", at, {"booking_time": (at + D).isoformat()})
        h.add("NO_SHOW", at + D + 10 * M)
    elif pattern == "joined":
        h.add("JOINED_TEAM", at)
    elif pattern == "unsubscribed":
        h.add("UNSUBSCRIBED", at)
    elif pattern == "held":
        h.add("MEETING_HELD", at)
    if rng.random() < 0.3:
        reminder = uuid.uuid4()
        h.reminder("REMINDER_CREATED", at, reminder, "custom", at + rng.randrange(1, 200) * H)
    return h


def expected_order(histories: list[History], as_of: datetime) -> list[tuple[str, str]]:
    recs: list[tuple[Recommendation, datetime | None]] = []
    for h in histories:
        projection = project(h.customer, h.events)
        rec = recommend(projection, as_of, unchanged(ACME))
        if rec.priority > 0:
            recs.append((rec, projection.last_activity_at))
    far = datetime.max.replace(tzinfo=T.tzinfo)
    recs.sort(
        key=lambda pair: (
            -pair[0].priority,
            pair[0].due_at is None,
            pair[0].due_at or far,
            pair[1] is None,
            pair[1] or far,
            pair[0].customer_id,
        )
    )
    return [(str(r.customer_id), r.action) for r, _ in recs]


async def read_every_page(nba: RunningNba, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 137, **params, **({"cursor": cursor} if cursor else {})}
        page = await nba.get("/api/nba", **query)
        assert page.status_code == 200, page.text
        body = page.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_a_thousand_customers_listed_in_the_specified_order(nba: RunningNba) -> None:
    rng = random.Random(7)
    histories = [random_history(rng) for _ in range(CUSTOMERS)]
    now = T + 22 * D
    nba.clock.set(now)
    await nba.send([e for h in histories for e in h.events])
    await eventually(
        lambda: nba.sql("SELECT count(*) AS n FROM nba_customers"),
        lambda rows: rows[0]["n"] == CUSTOMERS,
    )
    journal_size = sum(len(h.events) for h in histories)
    await eventually(
        lambda: nba.sql("SELECT count(*) AS n FROM nba_journal"),
        lambda rows: rows[0]["n"] == journal_size,
    )
    for as_of in (None, now + 3 * D, T + 5 * D):
        params = {"as_of": as_of.isoformat()} if as_of else {}
        listed = await read_every_page(nba, **params)
        got = [(i["customer_id"], i["action"]) for i in listed]
        assert got == expected_order(histories, as_of or now)
        assert len({c for c, _ in got}) == len(got)
        assert all(i["priority"] > 0 for i in listed)
        # The coaching prompt counts the same rebooks, stored or evaluated afresh.
        rebooks = sum(action == "rebook" for _, action in got)
        assert rebooks > 0
        assert await rebooks_prompt(nba, as_of or now) == rebooks


async def rebooks_prompt(nba: RunningNba, as_of: datetime) -> int:
    response = await nba.get("/api/coaching", as_of=as_of.isoformat())
    assert response.status_code == 200, response.text
    texts = [i["text"] for i in response.json()["items"] if i["kind"] == "rebooks_waiting"]
    return int(texts[0].split()[0]) if texts else 0


async def test_a_cursor_from_elsewhere_is_422(nba: RunningNba) -> None:
    bad = await nba.get("/api/nba", cursor="bm90LWEtY3Vyc29y")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "cursor"]
    too_many = await nba.get("/api/nba", limit=501)
    assert too_many.status_code == 422
    naive = await nba.get("/api/nba", as_of="2026-11-03T12:00:00")
    assert naive.status_code == 422
