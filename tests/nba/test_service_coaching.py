"""COACHING_PROMPT from the running service: DMO counts from events, once per kind and day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
import pytest

from crm_nba.repository.coaching import claim_coaching_kinds
from crm_nba.service.coaching import coaching_at
from crm_schemas.system_properties import CoachingKind, CoachingPrompt

from .conftest import ACCOUNTS, RunningNba
from .history import D, H, History, M, T
from .kafka_io import eventually

pytestmark = pytest.mark.integration
ACME = ACCOUNTS[0]


async def coaching(nba: RunningNba, **params: Any) -> dict[str, str]:
    body = (await nba.get("/api/coaching", **params)).json()
    return {item["kind"]: item["text"] for item in body["items"]}


async def test_prompts_follow_the_dmo_counts_and_are_emitted_once_a_day(nba: RunningNba) -> None:
    h = History()
    for n in range(3):
        h.add("INVITE_SENT", T - 3 * H + n * M)
    h.add("FOLLOW_UP_DONE", T - 2 * H)
    by_person, automatic = uuid.uuid4(), uuid.uuid4()
    h.reminder("REMINDER_CREATED", T - 4 * H, by_person, "follow_up_2h", T - 2 * H)
    h.reminder(
        "REMINDER_COMPLETED", T - H, by_person, "follow_up_2h", T - 2 * H, completed_by="person"
    )
    h.reminder("REMINDER_CREATED", T - 4 * H, automatic, "follow_up_1d", T - 2 * H)
    h.reminder(
        "REMINDER_COMPLETED",
        T - H,
        automatic,
        "follow_up_1d",
        T - 2 * H,
        completed_by="follow_up_done",
    )
    await nba.send(h.events)
    found = await eventually(
        lambda: coaching(nba), lambda c: c.get("invites_left") == "17 invites left today"
    )
    assert found["follow_ups_left"] == "28 follow-ups left today"
    # Before noon local (09:30 in Oslo) nothing is left "yet"; the events later that day
    # do not count at that instant.
    assert await coaching(nba, as_of=(T - 4 * H - 30 * M).isoformat()) == {}

    def acme_prompts(events: list[Any], day: str) -> list[str]:
        return sorted(
            e.properties["kind"]
            for e in events
            if e.account_id == "acme" and e.properties.get("local_date") == day
        )

    emitted = await eventually(
        lambda: nba.emitted("COACHING_PROMPT"),
        lambda f: acme_prompts(f, "2026-11-03") == ["follow_ups_left", "invites_left"],
    )
    assert all(e.customer_id is None and e.source == "system" for e in emitted)
    # More invites change the text but not the number of prompts of that day.
    more = History()
    await nba.send([more.add("INVITE_SENT", T - 10 * M)])
    await eventually(
        lambda: coaching(nba), lambda c: c.get("invites_left") == "16 invites left today"
    )
    nba.clock.set(T + D)
    emitted = await eventually(
        lambda: nba.emitted("COACHING_PROMPT"),
        lambda f: acme_prompts(f, "2026-11-04") == ["follow_ups_left", "invites_left"],
    )
    assert acme_prompts(emitted, "2026-11-03") == ["follow_ups_left", "invites_left"]


async def test_rebooks_waiting_counts_customers_whose_action_is_rebook(nba: RunningNba) -> None:
    h = History()
    h.add("MEETING_BOOKED", T - D, {"booking_time": (T - H).isoformat()})
    h.add("NO_SHOW", T - 30 * M)
    await nba.send(h.events)
    found = await eventually(lambda: coaching(nba), lambda c: "rebooks_waiting" in c)
    assert found["rebooks_waiting"] == "1 no-show waiting to be rebooked"


async def test_the_timer_stops_counting_no_shows_once_rebooks_waiting_is_emitted(
    nba: RunningNba,
) -> None:
    h = History()
    h.add("MEETING_BOOKED", T - D, {"booking_time": (T - H).isoformat()})
    h.add("NO_SHOW", T - 30 * M)
    await nba.send(h.events)
    await eventually(lambda: coaching(nba), lambda c: "rebooks_waiting" in c)
    conn = await asyncpg.connect(nba.database)
    try:
        asked = await coaching_at(conn, ACME, T)
        # What the timer asks once the kind went out today: the no-shows are not counted.
        after_emission = await coaching_at(conn, ACME, T, emitted={"rebooks_waiting"})
    finally:
        await conn.close()
    assert "rebooks_waiting" in {prompt.kind for prompt in asked}
    assert "rebooks_waiting" not in {prompt.kind for prompt in after_emission}
    assert [p for p in asked if p.kind != "rebooks_waiting"] == after_emission


async def test_a_kind_is_claimed_once_a_day_whoever_claims_it(nba: RunningNba) -> None:
    # An account the running timer does not coach, so only this test claims for it.
    day = date(2026, 11, 3)
    invites = CoachingPrompt(text="2 invites left today", kind=CoachingKind.INVITES_LEFT)
    met = CoachingPrompt(text="Targets met today", kind=CoachingKind.TARGETS_MET)
    conn = await asyncpg.connect(nba.database)
    try:
        assert await claim_coaching_kinds(conn, "initech", day, [], T) == set()
        assert await claim_coaching_kinds(conn, "initech", day, [invites], T) == {"invites_left"}
        # A second claimer (a later tick, another replica) gets only what was left.
        both = await claim_coaching_kinds(conn, "initech", day, [invites, met], T + M)
        assert both == {"targets_met"}
        next_day = await claim_coaching_kinds(conn, "initech", date(2026, 11, 4), [invites], T)
        assert next_day == {"invites_left"}
    finally:
        await conn.close()
    rows = await nba.sql(
        "SELECT kind, text, emitted_at FROM nba_coaching_emitted"
        " WHERE account_id = 'initech' AND local_date = $1 ORDER BY kind",
        day,
    )
    assert [tuple(r) for r in rows] == [
        ("invites_left", "2 invites left today", T),
        ("targets_met", "Targets met today", T + M),
    ]
