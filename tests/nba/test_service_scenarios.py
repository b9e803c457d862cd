"""The NBA service against real Kafka and PostgreSQL: docs/domain.md's scenarios end to end."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from crm_nba.policy.projection import Fold, fold
from crm_schemas.envelope import EventEnvelope

from .conftest import RunningNba
from .history import D, H, History, M, T, s1, s_inactivity, s_noshow, s_video
from .kafka_io import eventually

pytestmark = pytest.mark.integration
SECOND = 1 / 3600


def nba_changes_of(events: list[EventEnvelope], customer: uuid.UUID) -> list[dict[str, Any]]:
    return [e.properties["recommendation"] for e in events if e.customer_id == customer]


async def test_s_noshow_rebook_then_follow_up_now_and_duplicates_change_nothing(
    nba: RunningNba,
) -> None:
    h = History()
    s_noshow(h)
    no_show = next(e for e in h.events if e.event_name == "NO_SHOW")
    nba.clock.set(T + D + 30 * M)
    await nba.send(h.events + [no_show] * 4)
    rec = await nba.until_nba(h.customer, lambda r: r.get("action") == "rebook")
    assert (rec["priority"], rec["urgency"]) == (90, "critical")
    assert rec["reason"] == "No-show on Wed 4 Nov 14:15, no new booking yet"
    assert rec["due_at"] == "2026-11-04T13:15:00Z"
    late = await nba.nba_of(h.customer, as_of=T + D + 3 * H + 16 * M)
    assert (late["action"], late["priority"], late["due_at"]) == (
        "follow_up_now",
        95,
        "2026-11-04T15:15:00Z",
    )
    journaled = await nba.sql(
        "SELECT count(*) AS n FROM nba_journal WHERE event_id = $1", no_show.event_id
    )
    assert journaled[0]["n"] == 1


async def test_a_duplicated_event_changes_nothing(nba: RunningNba) -> None:
    h = History()
    dm = h.add("DM_STARTED", T)
    await nba.send([dm])
    await nba.until_nba(h.customer, lambda r: r.get("action") == "invite")
    changes = await eventually(
        lambda: nba.emitted("NBA_CHANGED"), lambda f: len(nba_changes_of(f, h.customer)) == 1
    )
    # The same event again, then a new one on the same partition to know it was consumed.
    sent = h.add("MESSAGE_SENT", T + M, {"channel": "ig"})
    await nba.send([dm, dm, sent])
    await nba.until_nba(h.customer, lambda r: r.get("due_at") == "2026-11-03T13:01:00Z")
    rows = await nba.sql("SELECT event_id FROM nba_journal ORDER BY seq")
    assert [r["event_id"] for r in rows] == [dm.event_id, sent.event_id]
    changes = await eventually(
        lambda: nba.emitted("NBA_CHANGED"), lambda f: len(nba_changes_of(f, h.customer)) == 2
    )
    assert [c["due_at"] for c in nba_changes_of(changes, h.customer)] == [
        "2026-11-03T13:00:00Z",
        "2026-11-03T13:01:00Z",
    ]


async def test_s1_gives_rebook(nba: RunningNba) -> None:
    h = History()
    s1(h)
    await nba.send(h.events)
    await nba.until_nba(h.customer, lambda r: r.get("action") == "rebook")
    rec = await nba.nba_of(h.customer, as_of=T + 3 * H + 30 * M)
    assert (rec["action"], rec["priority"], rec["due_at"]) == ("rebook", 90, "2026-11-03T16:00:00Z")


async def test_s_video_moves_with_time_and_the_timer_announces_it(nba: RunningNba) -> None:
    h = History()
    ids = s_video(h)
    nba.clock.set(T + 3 * H + M)
    await nba.send(h.events)
    first = await nba.until_nba(h.customer, lambda r: r.get("action") == "request_feedback")
    assert first["due_at"] == "2026-11-05T16:00:00Z"  # stage entry T+3h, + 48h
    before = await nba.nba_of(h.customer, as_of=T + 27 * H - M)
    assert before["action"] == "request_feedback"
    # No new event: only the clock passes the video's 24h.
    nba.clock.set(T + 27 * H)
    changes = await eventually(
        lambda: nba.emitted("NBA_CHANGED"),
        lambda f: any(c["action"] == "ask_video_feedback" for c in nba_changes_of(f, h.customer)),
    )
    announced = next(
        e
        for e in changes
        if e.customer_id == h.customer
        and e.properties["recommendation"]["action"] == "ask_video_feedback"
    )
    assert announced.timestamp == T + 27 * H
    listed = (await nba.get("/api/nba")).json()["items"]
    assert [i["action"] for i in listed if i["customer_id"] == str(h.customer)] == [
        "ask_video_feedback"
    ]
    nba.clock.set(T + 28 * H + M)
    final = await eventually(
        lambda: nba.emitted("NBA_CHANGED"),
        lambda f: nba_changes_of(f, h.customer)[-1]["action"] == "follow_up_now",
    )
    assert nba_changes_of(final, h.customer)[-1]["facts"]["reminder_id"] == str(ids["24h"])


async def test_s_inactivity_reconnect_then_follow_up_now(nba: RunningNba) -> None:
    h = History()
    s_inactivity(h)
    await nba.send(h.events)
    await nba.until_nba(h.customer, lambda r: r.get("action") == "ask_why")
    rec = await nba.nba_of(h.customer, as_of=T + 12 * D + M)
    assert (rec["action"], rec["priority"], rec["due_at"]) == (
        "reconnect",
        65,
        "2026-11-15T13:00:00Z",
    )
    overdue = await nba.nba_of(h.customer, as_of=T + 12 * D + H + M)
    assert (overdue["action"], overdue["priority"]) == ("follow_up_now", 95)


async def test_another_accounts_customer_and_an_unknown_one_are_404(nba: RunningNba) -> None:
    h = History()
    await nba.send([h.add("DM_STARTED", T)])
    await nba.until_nba(h.customer, lambda r: r.get("action") == "invite")
    other = await nba.get(f"/api/nba/customer/{h.customer}", account="globex")
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    assert (await nba.get(f"/api/nba/customer/{uuid.uuid4()}")).status_code == 404
    assert h.customer not in {
        i["customer_id"] for i in (await nba.get("/api/nba", "globex")).json()["items"]
    }
    bad = await nba.get("/api/nba/customer/not-a-uuid")
    assert bad.status_code == 422


async def test_analyze_of_a_history_equals_the_stored_projection(nba: RunningNba) -> None:
    histories = []
    for build in (s_noshow, s_video, s_inactivity, s1):
        h = History()
        build(h)
        histories.append(h)
        await nba.send(h.events)
    for h in histories:
        await nba.until_nba(h.customer, lambda r: bool(r))
    for h in histories:
        for as_of in (T + 4 * H, T + D + 30 * M, T + 28 * H + M, T + 12 * D + 2 * H):
            stored = await nba.nba_of(h.customer, as_of=as_of)
            body = {
                "history": [e.model_dump(mode="json") for e in h.events],
                "as_of": as_of.isoformat(),
            }
            answer = await nba.client.post("/api/nba/analyze", json=body, headers=nba.token())
            assert answer.status_code == 200, answer.text
            analyzed = answer.json()
            analyzed.pop("next_change_at")
            assert analyzed == stored


async def test_analyze_recomputes_given_customers(nba: RunningNba) -> None:
    h = History()
    await nba.send([h.add("INVITE_SENT", T)])
    await nba.until_nba(h.customer, lambda r: r.get("action") == "ask_why")
    stranger = uuid.uuid4()
    nba.clock.set(T + 8 * D)
    answer = await nba.client.post(
        "/api/nba/analyze",
        json={"customer_ids": [str(h.customer), str(stranger)]},
        headers=nba.token(),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [i["action"] for i in body["items"]] == ["reconnect"]
    assert body["not_found"] == [str(stranger)]


async def test_analyze_refuses_bad_bodies_naming_the_field(nba: RunningNba) -> None:
    async def post(body: dict[str, Any]) -> httpx.Response:
        return await nba.client.post("/api/nba/analyze", json=body, headers=nba.token())

    both = await post({"customer_ids": [str(uuid.uuid4())], "history": []})
    assert both.status_code == 422
    bad_props = await post(
        {
            "history": [
                {
                    "event_name": "MEETING_BOOKED",
                    "event_id": "e1",
                    "timestamp": T.isoformat(),
                    "customer_id": str(uuid.uuid4()),
                    "properties": {},
                }
            ]
        }
    )
    assert bad_props.status_code == 422
    locs = [e["loc"] for e in bad_props.json()["errors"]]
    assert ["body", "history", 0, "properties", "booking_time"] in locs
    nobody = await post(
        {"history": [{"event_name": "DM_STARTED", "event_id": "e", "timestamp": T.isoformat()}]}
    )
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0]["loc"] == ["body", "customer_id"]
    assert (await nba.client.get("/api/nba")).status_code == 401


async def test_a_deleted_customer_is_announced_none_then_404(nba: RunningNba) -> None:
    h = History()
    await nba.send([h.add("DM_STARTED", T)])
    await nba.until_nba(h.customer, lambda r: r.get("action") == "invite")
    await nba.send([h.add("CUSTOMER_DELETED", T + M, source="system"), h.add("INVITE_SENT", T + H)])
    gone = await eventually(
        lambda: nba.get(f"/api/nba/customer/{h.customer}"), lambda r: r.status_code == 404
    )
    assert gone.json()["status"] == 404
    changes = await eventually(
        lambda: nba.emitted("NBA_CHANGED"), lambda f: len(nba_changes_of(f, h.customer)) == 2
    )
    assert [c["action"] for c in nba_changes_of(changes, h.customer)] == ["invite", "none"]
    listed = (await nba.get("/api/nba", as_of=(T + 9 * D).isoformat())).json()["items"]
    assert str(h.customer) not in {i["customer_id"] for i in listed}


async def test_a_late_event_refolds_the_customer(nba: RunningNba) -> None:
    h = History()
    dm = h.add("DM_STARTED", T)
    no_show = h.add("NO_SHOW", T + D)
    booked = h.add("MEETING_BOOKED", T + H, {"booking_time": (T + D).isoformat()})
    await nba.send([dm, no_show])
    await nba.until_nba(h.customer, lambda r: r.get("facts", {}).get("booking_state") == "no_show")
    # The booking arrives after the no-show it preceded: the state is the timestamp order's.
    await nba.send([booked])
    rec = await nba.until_nba(h.customer, lambda r: r["facts"]["status"] == "qualified")
    assert (rec["action"], rec["due_at"]) == ("rebook", "2026-11-04T13:00:00Z")
    assert rec["facts"]["booking_time"] == "2026-11-04T13:00:00Z"


async def test_the_stored_fold_is_the_whole_historys_and_a_row_without_one_gets_it(
    nba: RunningNba,
) -> None:
    h = History()
    s_video(h)
    first, *rest = h.events
    await nba.send([first])
    await eventually(lambda: journaled(nba, first), bool)
    await nba.send(rest)  # these continue the stored fold, in one batch or several
    await eventually(
        lambda: stored_fold(nba, h.customer), lambda f: f == fold(h.customer, h.events)
    )
    # A row stored before folds were kept (migration 0004) is folded from its journal.
    await nba.sql("UPDATE nba_customers SET fold = NULL WHERE customer_id = $1", h.customer)
    h.add("MESSAGE_RECEIVED", T + 30 * H, {"channel": "ig"})
    await nba.send(h.events[-1:])
    stored = await eventually(
        lambda: stored_fold(nba, h.customer), lambda f: f == fold(h.customer, h.events)
    )
    assert stored is not None
    assert stored.last_activity_at == T + 30 * H


async def stored_fold(nba: RunningNba, customer: uuid.UUID) -> Fold | None:
    rows = await nba.sql("SELECT fold FROM nba_customers WHERE customer_id = $1", customer)
    return Fold.model_validate_json(rows[0]["fold"]) if rows and rows[0]["fold"] else None


async def journaled(nba: RunningNba, event: EventEnvelope) -> bool:
    found = await nba.sql("SELECT 1 FROM nba_journal WHERE event_id = $1", event.event_id)
    return bool(found)
