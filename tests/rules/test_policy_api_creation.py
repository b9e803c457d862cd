"""A customer's creation through the API in an open stage is activity (docs/domain.md,
'Activity'): its follow_up_7d at creation + 7 days, under the settings in force then; an
import at signed_up or not_now, or a creation by an event, makes nothing."""

from __future__ import annotations

import uuid
from itertools import permutations

import pytest

from crm_rules.policy.reminder import ReminderStatus
from crm_rules.policy.rules import TYPE_DISABLED
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.system_properties import ReminderType

from .history import (
    T0,
    D,
    H,
    arrive_one_by_one,
    customer_created,
    event,
    history_of,
    open_times,
    replay,
)


@pytest.mark.parametrize(
    "status",
    [s for s in Status if s.is_open],
)
def test_an_api_creation_in_an_open_stage_gets_its_follow_up_7d_at_creation_plus_7_days(
    status: Status,
) -> None:
    c = uuid.uuid4()
    created = customer_created(T0, c, PipelineState(status=status))
    result = replay([created])
    assert open_times(result) == {"follow_up_7d": [T0 + 7 * D]}
    (reminder,) = result.values()
    assert reminder.trigger_event_id == created.event_id


@pytest.mark.parametrize("status", [Status.SIGNED_UP, Status.NOT_NOW])
def test_an_import_at_signed_up_or_not_now_gets_no_reminder(status: Status) -> None:
    c = uuid.uuid4()
    assert replay([customer_created(T0, c, PipelineState(status=status))]) == {}


def test_an_imported_booking_is_no_booking_fact() -> None:
    c = uuid.uuid4()
    booked = PipelineState(status=Status.QUALIFIED, booking=Booking(state=BookingState.NO_SHOW))
    # No no-show reminders: the import records where someone is; only its activity counts.
    assert open_times(replay([customer_created(T0, c, booked)])) == {"follow_up_7d": [T0 + 7 * D]}


def test_a_creation_by_an_event_or_of_unknown_origin_is_no_activity() -> None:
    c = uuid.uuid4()
    assert replay([customer_created(T0, c, origin="event")]) == {}
    assert replay([customer_created(T0, c, origin=None)]) == {}


def test_a_later_activity_moves_it_like_any_inactivity_reminder() -> None:
    c = uuid.uuid4()
    created = customer_created(T0, c)
    first = replay([created])
    invite = event("INVITE_SENT", T0 + 5 * D, c)
    moved = replay([created, invite])
    (before,), (after,) = first.values(), moved.values()
    assert after.id == before.id
    assert after.scheduled_for == T0 + 12 * D
    assert after.trigger_event_id == invite.event_id


def test_any_arrival_order_gives_the_timestamp_order_s_reminders() -> None:
    c = uuid.uuid4()
    # An event stamped before the creation (late on the topic) and one after it.
    history = [
        customer_created(T0, c),
        event("MESSAGE_SENT", T0 - 2 * H, c),
        event("INVITE_SENT", T0 + 2 * D, c),
    ]
    for order in permutations(history):
        stored, _ = arrive_one_by_one(order)
        assert [r.scheduled_for for r in stored.values() if r.is_open] == [T0 + 9 * D]


def test_the_creation_follows_the_settings_in_force_at_its_timestamp() -> None:
    c = uuid.uuid4()
    change = T0 - D
    longer = history_of((change, {"reminders": {"follow_up_7d": {"delay": "P10D"}}}))
    assert open_times(replay([customer_created(T0, c)], settings=longer)) == {
        "follow_up_7d": [T0 + 10 * D]
    }
    # A change after the creation leaves the creation's reminder as it was made.
    later = history_of((T0 + H, {"reminders": {"follow_up_7d": {"delay": "P10D"}}}))
    assert open_times(replay([customer_created(T0, c)], settings=later)) == {
        "follow_up_7d": [T0 + 7 * D]
    }
    off = history_of((change, {"reminders": {"follow_up_7d": {"enabled": False}}}))
    assert replay([customer_created(T0, c)], settings=off) == {}


def test_switched_off_later_the_next_activity_cancels_the_creation_s_reminder() -> None:
    c = uuid.uuid4()
    off = history_of((T0 + H, {"reminders": {"follow_up_7d": {"enabled": False}}}))
    result = replay([customer_created(T0, c), event("MESSAGE_SENT", T0 + 2 * H, c)], settings=off)
    (reminder,) = [r for r in result.values() if r.type is ReminderType.FOLLOW_UP_7D]
    assert reminder.status is ReminderStatus.CANCELED
    assert reminder.cancel_reason == TYPE_DISABLED


def test_quiet_hours_in_force_at_the_creation_move_its_reminder() -> None:
    c = uuid.uuid4()
    quiet = history_of((T0 - D, {"quiet_hours": ["22:00", "07:00"]}))
    # 23:00 in Oslo (UTC+1 in November): a week later is inside the quiet hours, so 07:00.
    late_evening = T0 + 13 * H
    result = replay([customer_created(late_evening, c)], settings=quiet)
    assert open_times(result) == {"follow_up_7d": [T0 + 7 * D + 21 * H]}
