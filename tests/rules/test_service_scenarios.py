"""docs/domain.md's scenarios against real Kafka and PostgreSQL, read back through the API."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from crm_schemas.pipeline import Status

from .history import T0, D, H, M, event, status_changed
from .service_support import RulesUnderTest


def times(reminders: list[dict[str, Any]], status: str = "open") -> dict[str, str]:
    return {r["type"]: r["scheduled_for"] for r in reminders if r["status"] == status}


def z(moment: object) -> str:
    return moment.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]


async def test_s_no_show_sent_ten_times_makes_each_reminder_once(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    no_show = event("NO_SHOW", T0 + D + 15 * M, c, event_id=f"no-show-{c}")
    await rules.send(
        [
            event("DM_STARTED", T0, c),
            event("INVITE_SENT", T0 + H, c),
            event("MEETING_BOOKED", T0 + 2 * H, c),
            *[no_show] * 10,
        ]
    )
    found = await rules.settled(c, lambda rs: len(times(rs)) == 3 and "follow_up_2h" in times(rs))
    assert times(found) == {
        "follow_up_2h": z(T0 + D + 2 * H + 15 * M),
        "follow_up_1d": z(T0 + 2 * D + 15 * M),
        "follow_up_7d": z(T0 + 8 * D + 15 * M),
    }
    assert len(found) == 3
    announced = await rules.announced(c)
    created = Counter(e.properties["type"] for e in announced if e.event_name == "REMINDER_CREATED")
    assert created["follow_up_2h"] == 1
    assert created["follow_up_1d"] == 1
    assert created["follow_up_7d"] == 1


async def test_s_video(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    await rules.send([event("DM_STARTED", T0, c), event("VIDEO_SENT", T0 + 3 * H, c)])
    found = await rules.settled(c, lambda rs: "follow_up_48h" in times(rs))
    assert times(found) == {
        "follow_up_24h": z(T0 + 27 * H),
        "follow_up_48h": z(T0 + 51 * H),
        "follow_up_7d": z(T0 + 3 * H + 7 * D),
    }


async def test_s_inactivity_reschedules_the_same_reminder(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    await rules.send([event("DM_STARTED", T0, c)])
    (first,) = await rules.settled(c, lambda rs: len(rs) == 1)
    assert first["scheduled_for"] == z(T0 + 7 * D)
    invite = event("INVITE_SENT", T0 + 5 * D, c)
    await rules.send([invite])
    (moved,) = await rules.settled(c, lambda rs: rs[0]["scheduled_for"] == z(T0 + 12 * D))
    assert moved["id"] == first["id"]
    assert moved["trigger_event_id"] == invite.event_id
    announced = await rules.announced(c)
    rescheduled = [e for e in announced if e.event_name == "REMINDER_RESCHEDULED"]
    assert len(rescheduled) == 1
    assert rescheduled[0].properties["previous_scheduled_for"] == z(T0 + 7 * D)


async def test_s1(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    await rules.send(
        [
            event("DM_STARTED", T0, c),
            event("INVITE_SENT", T0 + H, c),
            event("VIDEO_SENT", T0 + 2 * H, c),
            event("NO_SHOW", T0 + 3 * H, c),
        ]
    )
    found = await rules.settled(c, lambda rs: len(times(rs)) == 5)
    assert times(found) == {
        "follow_up_24h": z(T0 + 26 * H),
        "follow_up_48h": z(T0 + 50 * H),
        "follow_up_2h": z(T0 + 5 * H),
        "follow_up_1d": z(T0 + 27 * H),
        "follow_up_7d": z(T0 + 3 * H + 7 * D),
    }


async def test_s2(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    r = T0 + 2 * H
    move = status_changed(
        r, c, Status.QUALIFIED, Status.PRESENTATION_SENT, cause_name="next_stage", person=True
    )
    await rules.send([event("LEAD_QUALIFIED", T0, c), move, event("FOLLOW_UP_DONE", r + M, c)])
    found = await rules.settled(c, lambda rs: times(rs).get("follow_up_7d") == z(r + M + 7 * D))
    assert times(found)["follow_up_48h"] == z(r + 48 * H)
    await rules.send([event("JOINED_TEAM", r + 2 * M, c)])
    final = await rules.settled(c, lambda rs: not times(rs))
    assert {x["type"]: x["status"] for x in final} == {
        "follow_up_48h": "canceled",
        "follow_up_7d": "canceled",
    }


async def test_s3_consent(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    marker = event("DM_STARTED", T0, uuid.uuid4())  # a second customer, to know when we're done
    await rules.send(
        [
            event("DM_STARTED", T0, c, messaging=False),
            event("VIDEO_SENT", T0 + H, c),
            event("NO_SHOW", T0 + 2 * H, c),
            marker,
        ]
    )
    await rules.settled(marker.customer_id, lambda rs: len(rs) == 1)
    assert await rules.reminders(c) == []
    back = event("MESSAGE_RECEIVED", T0 + D, c, messaging=True)
    await rules.send([back])
    (seven,) = await rules.settled(c, lambda rs: len(rs) == 1)
    assert seven["type"] == "follow_up_7d"
    assert seven["scheduled_for"] == z(T0 + 8 * D)
    assert seven["trigger_event_id"] == back.event_id
    assert seven["channel_window"] == "closed"  # ig, 7 days after the last inbound message


async def test_deletion_cancels_every_open_reminder(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    await rules.send([event("VIDEO_SENT", T0, c)])
    await rules.settled(c, lambda rs: len(times(rs)) == 3)
    deleted = event("CUSTOMER_DELETED", T0 + H, c, source="system", properties={})
    await rules.send([deleted, event("NO_SHOW", T0 + 2 * H, c)])
    final = await rules.settled(c, lambda rs: not times(rs))
    assert {x["status"] for x in final} == {"canceled"}
    assert len(final) == 3


async def test_quiet_hours_of_the_account_move_a_reminder_to_their_end(
    rules: RulesUnderTest,
) -> None:
    c = uuid.uuid4()
    # 20:30 in Oslo; the account's quiet hours are 22:00-07:00.
    no_show = event("NO_SHOW", T0 + 10 * H + 30 * M, c, account="quiet")
    await rules.send([no_show])
    found = await rules.settled(c, lambda rs: len(rs) == 3, account="quiet")
    assert times(found)["follow_up_2h"] == z(T0 + D - 3 * H)  # 07:00 Oslo the next morning
    assert times(found)["follow_up_1d"] == z(T0 + D + 10 * H + 30 * M)
    assert await rules.reminders(c) == []  # another account sees nothing


async def test_a_late_video_creates_nothing_through_the_consumer(rules: RulesUnderTest) -> None:
    c = uuid.uuid4()
    later = event("VIDEO_SENT", T0 + 10 * H, c)
    await rules.send([later])
    await rules.settled(c, lambda rs: len(rs) == 3)
    await rules.send([event("VIDEO_SENT", T0, c), event("MESSAGE_SENT", T0 + 11 * H, c)])
    # The message, behind the late video on the customer's partition, moves the 7d: once it
    # has, the late video was applied too.
    found = await rules.settled(
        c, lambda rs: times(rs).get("follow_up_7d") == z(T0 + 11 * H + 7 * D)
    )
    assert {r["trigger_event_id"] for r in found if r["rule"] == "video_sent"} == {later.event_id}
    assert times(found)["follow_up_24h"] == z(T0 + 34 * H)
    assert len(found) == 3
