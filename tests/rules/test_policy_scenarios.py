"""docs/domain.md's scenarios, as the policy sees them."""

from __future__ import annotations

import uuid

from crm_rules.policy.reminder import ReminderStatus
from crm_schemas.pipeline import Status
from crm_schemas.system_properties import ReminderType

from .history import T0, D, H, M, arrive_one_by_one, event, open_times, replay, status_changed


def test_s_no_show() -> None:
    c = uuid.uuid4()
    no_show = event("NO_SHOW", T0 + D + 15 * M, c, event_id="no-show-1")
    history = [
        event("DM_STARTED", T0, c),
        event("INVITE_SENT", T0 + H, c),
        event("MEETING_BOOKED", T0 + 2 * H, c, properties={"booking_time": (T0 + D).isoformat()}),
        *[no_show] * 5,
    ]
    stored, _ = arrive_one_by_one(history)
    times = {r.type.value: r.scheduled_for for r in stored.values() if r.is_open}
    assert times == {
        "follow_up_2h": T0 + D + 2 * H + 15 * M,
        "follow_up_1d": T0 + 2 * D + 15 * M,
        "follow_up_7d": T0 + D + 15 * M + 7 * D,
    }
    assert len(stored) == 3


def test_s_video() -> None:
    c = uuid.uuid4()
    result = replay([event("DM_STARTED", T0, c), event("VIDEO_SENT", T0 + 3 * H, c)])
    assert open_times(result)["follow_up_24h"] == [T0 + 27 * H]
    assert open_times(result)["follow_up_48h"] == [T0 + 51 * H]


def test_s_inactivity() -> None:
    c = uuid.uuid4()
    dm = event("DM_STARTED", T0, c)
    stored, steps = arrive_one_by_one([dm, event("INVITE_SENT", T0 + 5 * D, c)])
    assert [d.change.value for d in steps[0]] == ["create"]
    assert steps[0][0].reminder.scheduled_for == T0 + 7 * D
    (moved,) = steps[1]
    assert moved.change.value == "reschedule"
    assert moved.previous_scheduled_for == T0 + 7 * D
    assert moved.reminder.scheduled_for == T0 + 12 * D
    assert moved.reminder.id == steps[0][0].reminder.id
    assert len(stored) == 1


def test_s1() -> None:
    c = uuid.uuid4()
    result = replay(
        [
            event("DM_STARTED", T0, c),
            event("INVITE_SENT", T0 + H, c),
            event("VIDEO_SENT", T0 + 2 * H, c),
            event("NO_SHOW", T0 + 3 * H, c),
        ]
    )
    assert open_times(result) == {
        "follow_up_24h": [T0 + 26 * H],
        "follow_up_48h": [T0 + 50 * H],
        "follow_up_2h": [T0 + 5 * H],
        "follow_up_1d": [T0 + 27 * H],
        "follow_up_7d": [T0 + 3 * H + 7 * D],
    }


def test_s2() -> None:
    c = uuid.uuid4()
    r = T0 + 2 * H
    move = status_changed(
        r, c, Status.QUALIFIED, Status.PRESENTATION_SENT, cause_name="next_stage", person=True
    )
    history = [event("LEAD_QUALIFIED", T0, c), move, event("FOLLOW_UP_DONE", r + M, c)]
    after_follow_up, _ = arrive_one_by_one(history)
    (forty_eight,) = [
        r_ for r_ in after_follow_up.values() if r_.type is ReminderType.FOLLOW_UP_48H
    ]
    assert forty_eight.is_open
    assert forty_eight.scheduled_for == r + 48 * H
    final, steps = arrive_one_by_one([*history, event("JOINED_TEAM", r + 2 * M, c)])
    assert all(not reminder.is_open for reminder in final.values())
    assert final[forty_eight.id].status is ReminderStatus.CANCELED
    assert {d.change.value for d in steps[-1]} == {"cancel"}


def test_s3_consent() -> None:
    c = uuid.uuid4()
    opted_out = [
        event("DM_STARTED", T0, c, messaging=False),
        event("VIDEO_SENT", T0 + H, c),
        event("NO_SHOW", T0 + 2 * H, c),
        event("MESSAGE_RECEIVED", T0 + 3 * H, c),
    ]
    assert replay(opted_out) == {}
    back_in = event("MESSAGE_SENT", T0 + D, c, messaging=True)
    result = replay([*opted_out, back_in])
    assert open_times(result) == {"follow_up_7d": [T0 + 8 * D]}
    assert next(iter(result.values())).trigger_event_id == back_in.event_id
