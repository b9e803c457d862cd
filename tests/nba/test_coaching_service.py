"""COACHING_PROMPT from the running service: DMO counts from events, once per kind and day."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .conftest import RunningNba
from .history import D, H, History, M, T
from .kafka_io import eventually

pytestmark = pytest.mark.integration


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
