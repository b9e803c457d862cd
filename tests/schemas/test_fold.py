"""The pipeline fold: each fact's effect per docs/domain.md, and order independence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.factlog import FactLog
from crm_schemas.fold import Fact, apply, fold
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status

from .factories import T0, fact


def at(status: Status, **changes: object) -> PipelineState:
    return PipelineState(status=status).model_copy(update=changes)


def pipeline_log() -> FactLog[Fact, PipelineState]:
    """Pipeline facts folded as they arrive, from a new lead."""
    return FactLog(step=apply, start=lambda facts: PipelineState())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (EventName.DM_STARTED, Status.RELATIONSHIP),
        (EventName.MESSAGE_RECEIVED, Status.RELATIONSHIP),
        (EventName.INVITE_SENT, Status.INVITED),
        (EventName.LEAD_QUALIFIED, Status.QUALIFIED),
        (EventName.VIDEO_SENT, Status.PRESENTATION_SENT),
        (EventName.PURCHASED, Status.SIGNED_UP),
        (EventName.JOINED_TEAM, Status.SIGNED_UP),
        (EventName.MESSAGE_SENT, Status.LEAD),
        (EventName.FOLLOW_UP_DONE, Status.LEAD),
        (EventName.NO_SHOW, Status.LEAD),
        (EventName.MEETING_CANCELED, Status.LEAD),
        (EventName.UNSUBSCRIBED, Status.LEAD),
    ],
)
def test_fact_moves_a_new_customer_to_the_stage_it_implies(
    name: EventName, expected: Status
) -> None:
    assert apply(PipelineState(), fact(name)).status is expected


def test_facts_never_move_backward() -> None:
    state = at(Status.FOLLOW_UP)
    for name in (
        EventName.DM_STARTED,
        EventName.INVITE_SENT,
        EventName.LEAD_QUALIFIED,
        EventName.VIDEO_SENT,
        EventName.MEETING_HELD,
    ):
        assert apply(state, fact(name)).status is Status.FOLLOW_UP


def test_meeting_booked_sets_qualified_and_the_booking() -> None:
    when = T0 + timedelta(days=1)
    state = apply(
        at(Status.INVITED), fact(EventName.MEETING_BOOKED, booking_time=when, booking_id="b1")
    )
    assert state.status is Status.QUALIFIED
    assert state.booking == Booking(state=BookingState.BOOKED, time=when, booking_id="b1")


def test_booking_outcomes_keep_the_booking_time_and_only_held_moves_the_stage() -> None:
    when = T0 + timedelta(days=1)
    booked = apply(
        at(Status.INVITED), fact(EventName.MEETING_BOOKED, booking_time=when, booking_id="b1")
    )
    no_show = apply(booked, fact(EventName.NO_SHOW, 10))
    assert (no_show.status, no_show.booking.state, no_show.booking.time) == (
        Status.QUALIFIED,
        BookingState.NO_SHOW,
        when,
    )
    canceled = apply(booked, fact(EventName.MEETING_CANCELED, 10))
    assert (canceled.status, canceled.booking.state) == (Status.QUALIFIED, BookingState.CANCELED)
    held = apply(booked, fact(EventName.MEETING_HELD, 10))
    assert (held.status, held.booking.state, held.booking.booking_id) == (
        Status.PRESENTATION_SENT,
        BookingState.HELD,
        "b1",
    )


def test_follow_up_done_moves_only_from_presentation_sent() -> None:
    assert (
        apply(at(Status.PRESENTATION_SENT), fact(EventName.FOLLOW_UP_DONE)).status
        is Status.FOLLOW_UP
    )
    assert apply(at(Status.QUALIFIED), fact(EventName.FOLLOW_UP_DONE)).status is Status.QUALIFIED


def test_joined_team_sets_the_flag_and_purchase_does_not() -> None:
    assert apply(at(Status.QUALIFIED), fact(EventName.JOINED_TEAM)).joined_team is True
    assert apply(at(Status.QUALIFIED), fact(EventName.PURCHASED)).joined_team is False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (EventName.DM_STARTED, Status.RELATIONSHIP),
        (EventName.MESSAGE_RECEIVED, Status.RELATIONSHIP),
        (EventName.LEAD_QUALIFIED, Status.QUALIFIED),
        (EventName.MEETING_BOOKED, Status.QUALIFIED),
        (EventName.PURCHASED, Status.SIGNED_UP),
        (EventName.JOINED_TEAM, Status.SIGNED_UP),
        (EventName.INVITE_SENT, Status.NOT_NOW),
        (EventName.VIDEO_SENT, Status.NOT_NOW),
        (EventName.MEETING_HELD, Status.NOT_NOW),
        (EventName.FOLLOW_UP_DONE, Status.NOT_NOW),
        (EventName.MESSAGE_SENT, Status.NOT_NOW),
    ],
)
def test_not_now_reopens_only_on_reopening_facts(name: EventName, expected: Status) -> None:
    when = T0 + timedelta(days=2)
    assert apply(at(Status.NOT_NOW), fact(name, booking_time=when)).status is expected


def test_opt_out_and_opt_in() -> None:
    out = apply(at(Status.RELATIONSHIP), fact(EventName.UNSUBSCRIBED))
    assert out.opted_out is True
    assert apply(out, fact(EventName.MESSAGE_RECEIVED, 5)).opted_out is True
    back = apply(out, fact(EventName.MESSAGE_RECEIVED, 6, messaging=True))
    assert back.opted_out is False
    assert apply(PipelineState(), fact(EventName.DM_STARTED, messaging=False)).opted_out is True


def test_person_move_changes_only_what_the_person_changed() -> None:
    booked = apply(at(Status.QUALIFIED), fact(EventName.MEETING_BOOKED, booking_time=T0))
    moved = apply(booked, fact(EventName.STATUS_CHANGED, 1, move_to=Status.NOT_NOW))
    assert moved.status is Status.NOT_NOW
    assert moved.booking == booked.booking


def test_late_dm_before_a_persons_not_now_leaves_not_now() -> None:
    log = pipeline_log()
    log.add(fact(EventName.STATUS_CHANGED, 10, move_to=Status.NOT_NOW))
    assert log.add(fact(EventName.DM_STARTED, 5)).status is Status.NOT_NOW
    assert log.refolds == 1


FOLDED_NAMES = sorted(EXTERNAL_EVENTS)


@st.composite
def any_fact(draw: st.DrawFn) -> Fact:
    minutes = draw(st.integers(min_value=0, max_value=20))
    if draw(st.integers(0, 5)) == 0:
        return fact(
            EventName.STATUS_CHANGED,
            minutes,
            event_id=draw(ids),
            move_to=draw(st.sampled_from(Status)),
        )
    return fact(
        draw(st.sampled_from(FOLDED_NAMES)),
        minutes,
        event_id=draw(ids),
        messaging=draw(st.sampled_from([None, None, True, False])),
        booking_time=T0 + timedelta(days=3),
        booking_id=draw(st.sampled_from([None, "b1", "b2"])),
    )


ids = st.text(alphabet="abcdef0123456789", min_size=4, max_size=8)
facts_strategy = st.lists(any_fact(), max_size=12, unique_by=lambda f: f.event_id)


@settings(max_examples=300)
@given(facts=facts_strategy, data=st.data())
def test_any_arrival_order_ends_in_the_timestamp_order_state(
    facts: list[Fact], data: st.DataObject
) -> None:
    expected = fold(sorted(facts, key=lambda f: f.order_key))
    arrival = data.draw(st.permutations(facts))
    log = pipeline_log()
    for f in arrival:
        log.add(f)
    for f in data.draw(st.lists(st.sampled_from(facts), max_size=3)) if facts else []:
        log.add(f)  # redelivery changes nothing
    assert log.state == expected
    assert fold(arrival) == expected
