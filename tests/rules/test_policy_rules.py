"""Every row of docs/domain.md's reminder table, with exact scheduled_for values."""

from __future__ import annotations

import uuid

from crm_rules.policy.reminder import ReminderStatus, reminder_identity
from crm_rules.policy.replay import intended_reminders
from crm_schemas.pipeline import Status
from crm_schemas.system_properties import CompletedBy, ReminderRule, ReminderType

from .history import ACCOUNT, T0, D, H, event, open_times, replay, status_changed


def new_customer() -> uuid.UUID:
    return uuid.uuid4()


def test_video_sent_makes_24h_and_48h_from_its_timestamp() -> None:
    c = new_customer()
    video = event("VIDEO_SENT", T0 + 3 * H, c)
    result = replay([event("DM_STARTED", T0, c), video])
    assert open_times(result) == {
        "follow_up_24h": [T0 + 27 * H],
        "follow_up_48h": [T0 + 51 * H],
        "follow_up_7d": [T0 + 3 * H + 7 * D],
    }
    made = {r.type: r for r in result.values() if r.rule is ReminderRule.VIDEO_SENT}
    assert made[ReminderType.FOLLOW_UP_24H].id == reminder_identity(
        "acme", c, ReminderRule.VIDEO_SENT, ReminderType.FOLLOW_UP_24H, video.event_id
    )
    assert made[ReminderType.FOLLOW_UP_24H].trigger_event_id == video.event_id


def test_a_second_video_supersedes_the_open_reminders_of_the_first() -> None:
    c = new_customer()
    first, second = event("VIDEO_SENT", T0, c), event("VIDEO_SENT", T0 + 30 * H, c)
    result = replay([first, second])
    video = [r for r in result.values() if r.rule is ReminderRule.VIDEO_SENT]
    canceled = {r.type: r for r in video if r.trigger_event_id == first.event_id}
    # The first video's 24h was already due at T0+24h but still open: superseded too.
    assert {r.status for r in canceled.values()} == {ReminderStatus.CANCELED}
    assert canceled[ReminderType.FOLLOW_UP_48H].closed_at == T0 + 30 * H
    assert open_times(result)["follow_up_24h"] == [T0 + 54 * H]
    assert open_times(result)["follow_up_48h"] == [T0 + 78 * H]


def test_no_show_makes_2h_and_1_day() -> None:
    c = new_customer()
    result = replay([event("NO_SHOW", T0, c)])
    assert open_times(result)["follow_up_2h"] == [T0 + 2 * H]
    assert open_times(result)["follow_up_1d"] == [T0 + D]


def test_a_booking_after_a_no_show_cancels_the_no_show_reminders() -> None:
    c = new_customer()
    result = replay([event("NO_SHOW", T0, c), event("MEETING_BOOKED", T0 + H, c)])
    no_show = [r for r in result.values() if r.rule is ReminderRule.NO_SHOW]
    assert len(no_show) == 2
    assert all(r.status is ReminderStatus.CANCELED and r.closed_at == T0 + H for r in no_show)
    assert set(open_times(result)) == {"follow_up_7d"}


def test_entering_presentation_sent_by_a_person_makes_48h_from_the_change() -> None:
    c = new_customer()
    move = status_changed(
        T0 + H, c, Status.QUALIFIED, Status.PRESENTATION_SENT, cause_name="next_stage", person=True
    )
    result = replay([event("LEAD_QUALIFIED", T0, c), move])
    assert open_times(result)["follow_up_48h"] == [T0 + 49 * H]
    (made,) = [r for r in result.values() if r.rule is ReminderRule.PRESENTATION_SENT]
    assert made.trigger_event_id == move.event_id


def test_entering_presentation_sent_by_meeting_held_makes_48h() -> None:
    c = new_customer()
    held = event("MEETING_HELD", T0 + H, c)
    change = status_changed(
        T0 + H,
        c,
        Status.QUALIFIED,
        Status.PRESENTATION_SENT,
        cause_name="MEETING_HELD",
        person=False,
    )
    result = replay([event("LEAD_QUALIFIED", T0, c), held, change])
    assert open_times(result)["follow_up_48h"] == [T0 + 49 * H]


def test_entering_presentation_sent_by_a_video_makes_only_the_video_reminders() -> None:
    c = new_customer()
    video = event("VIDEO_SENT", T0, c)
    change = status_changed(
        T0, c, Status.LEAD, Status.PRESENTATION_SENT, cause_name="VIDEO_SENT", person=False
    )
    result = replay([video, change])
    assert {r.rule for r in result.values()} == {ReminderRule.VIDEO_SENT, ReminderRule.INACTIVITY}


def test_no_presentation_48h_while_a_48h_is_open() -> None:
    c = new_customer()
    change = status_changed(
        T0 + H, c, Status.FOLLOW_UP, Status.PRESENTATION_SENT, cause_name="undo", person=True
    )
    result = replay([event("VIDEO_SENT", T0, c), change])
    assert open_times(result)["follow_up_48h"] == [T0 + 48 * H]


def test_every_activity_moves_the_one_follow_up_7d_and_keeps_its_id() -> None:
    c = new_customer()
    dm, invite = event("DM_STARTED", T0, c), event("INVITE_SENT", T0 + 5 * D, c)
    result = replay([dm, event("MESSAGE_SENT", T0 + D, c), invite])
    (seven,) = [r for r in result.values() if r.type is ReminderType.FOLLOW_UP_7D]
    assert seven.scheduled_for == T0 + 12 * D
    assert seven.id == reminder_identity(
        "acme", c, ReminderRule.INACTIVITY, ReminderType.FOLLOW_UP_7D, dm.event_id
    )
    assert seven.trigger_event_id == invite.event_id


def test_meeting_canceled_and_unsubscribe_are_not_activity() -> None:
    c = new_customer()
    result = replay([event("DM_STARTED", T0, c), event("MEETING_CANCELED", T0 + D, c)])
    assert open_times(result) == {"follow_up_7d": [T0 + 7 * D]}


def test_an_interaction_counts_at_its_occurred_at() -> None:
    c = new_customer()
    logged = event(
        "INTERACTION_LOGGED",
        T0 + 2 * D,
        c,
        source="system",
        properties={
            "interaction": {
                "id": str(uuid.uuid4()),
                "customer_id": str(c),
                "type": "call",
                "occurred_at": (T0 + D).isoformat(),
            }
        },
    )
    result = replay([event("DM_STARTED", T0, c), logged])
    assert open_times(result) == {"follow_up_7d": [T0 + 8 * D]}


def test_follow_up_done_completes_the_due_automated_reminders_only() -> None:
    c = new_customer()
    done = event("FOLLOW_UP_DONE", T0 + 25 * H, c)
    result = replay([event("VIDEO_SENT", T0, c), done])
    by_type = {r.type: r for r in result.values() if r.rule is ReminderRule.VIDEO_SENT}
    assert by_type[ReminderType.FOLLOW_UP_24H].status is ReminderStatus.COMPLETED
    assert by_type[ReminderType.FOLLOW_UP_24H].completed_by is CompletedBy.FOLLOW_UP_DONE
    assert by_type[ReminderType.FOLLOW_UP_24H].closed_at == T0 + 25 * H
    assert by_type[ReminderType.FOLLOW_UP_48H].is_open
    # The follow-up is activity: the inactivity reminder starts again from it.
    assert open_times(result)["follow_up_7d"] == [T0 + 25 * H + 7 * D]


def test_follow_up_done_at_exactly_scheduled_for_completes() -> None:
    c = new_customer()
    result = replay([event("NO_SHOW", T0, c), event("FOLLOW_UP_DONE", T0 + 2 * H, c)])
    two = next(r for r in result.values() if r.type is ReminderType.FOLLOW_UP_2H)
    assert two.status is ReminderStatus.COMPLETED


def test_signing_up_cancels_every_open_automated_reminder() -> None:
    for name in ("PURCHASED", "JOINED_TEAM"):
        c = new_customer()
        result = replay([event("VIDEO_SENT", T0, c), event(name, T0 + H, c)])
        assert open_times(result) == {}
        assert {r.cancel_reason for r in result.values()} == {"signed_up"}


def test_a_person_moving_to_not_now_cancels_automated_reminders() -> None:
    c = new_customer()
    move = status_changed(
        T0 + H, c, Status.RELATIONSHIP, Status.NOT_NOW, cause_name="put", person=True
    )
    result = replay([event("DM_STARTED", T0, c), move])
    assert open_times(result) == {}
    # not_now is left by a DM, which makes a fresh inactivity reminder.
    again = replay([event("DM_STARTED", T0, c), move, event("MESSAGE_RECEIVED", T0 + D, c)])
    assert open_times(again) == {"follow_up_7d": [T0 + 8 * D]}


def test_nothing_for_a_customer_who_is_signed_up() -> None:
    c = new_customer()
    result = replay([event("JOINED_TEAM", T0, c), event("VIDEO_SENT", T0 + H, c)])
    assert result == {}


def test_a_redelivered_event_changes_nothing() -> None:
    c = new_customer()
    no_show = event("NO_SHOW", T0, c)
    once = replay([no_show])
    assert replay([no_show, no_show]).keys() == once.keys()


def test_reminders_of_an_unknown_account_zone_use_the_account() -> None:
    c = new_customer()
    result = intended_reminders(ACCOUNT, c, [])
    assert result == {}


def test_a_reminder_identity_is_the_same_uuid5_whether_named_first_or_again() -> None:
    c = new_customer()
    args = (ACCOUNT.account_id, c, ReminderRule.NO_SHOW, ReminderType.FOLLOW_UP_2H, "no-show-1")
    first, again = reminder_identity(*args), reminder_identity(*args)
    assert first == again == reminder_identity.__wrapped__(*args)
    assert first.version == 5
    other = reminder_identity(
        ACCOUNT.account_id, c, ReminderRule.NO_SHOW, ReminderType.FOLLOW_UP_1D, "no-show-1"
    )
    assert other != first
