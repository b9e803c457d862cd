"""Facts → pipeline state and last activity: every event's effect, late and duplicate events."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_customers.customers.policy.history import (
    Entry,
    History,
    creation_entry,
    person_move_entry,
    replay,
)
from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.fold import Fact, PersonMove, fold
from crm_schemas.pipeline import BookingState, PipelineState, Status

from .events import T, fact_event

CUSTOMER = uuid.uuid4()


def entry(name: EventName, minutes: int = 0, **kwargs: object) -> Entry:
    event = fact_event(name, timedelta(minutes=minutes), customer=CUSTOMER, **kwargs)  # type: ignore[arg-type]
    found = Entry.of(event)
    assert found is not None
    return found


def state_after(*names: EventName) -> PipelineState:
    return replay(entry(name, minutes) for minutes, name in enumerate(names)).state


class TestEachFact:
    @pytest.mark.parametrize(
        ("name", "status"),
        [
            (EventName.DM_STARTED, Status.RELATIONSHIP),
            (EventName.MESSAGE_RECEIVED, Status.RELATIONSHIP),
            (EventName.MESSAGE_SENT, Status.LEAD),
            (EventName.INVITE_SENT, Status.INVITED),
            (EventName.LEAD_QUALIFIED, Status.QUALIFIED),
            (EventName.MEETING_BOOKED, Status.QUALIFIED),
            (EventName.MEETING_HELD, Status.PRESENTATION_SENT),
            (EventName.NO_SHOW, Status.LEAD),
            (EventName.MEETING_CANCELED, Status.LEAD),
            (EventName.VIDEO_SENT, Status.PRESENTATION_SENT),
            (EventName.FOLLOW_UP_DONE, Status.LEAD),
            (EventName.PURCHASED, Status.SIGNED_UP),
            (EventName.JOINED_TEAM, Status.SIGNED_UP),
            (EventName.UNSUBSCRIBED, Status.LEAD),
        ],
    )
    def test_from_a_new_customer(self, name: EventName, status: Status) -> None:
        assert state_after(name).status is status

    def test_never_backward(self) -> None:
        assert (
            state_after(EventName.VIDEO_SENT, EventName.DM_STARTED, EventName.INVITE_SENT).status
            is Status.PRESENTATION_SENT
        )

    def test_follow_up_done_moves_only_after_the_presentation(self) -> None:
        assert state_after(EventName.INVITE_SENT, EventName.FOLLOW_UP_DONE).status is Status.INVITED
        assert (
            state_after(EventName.VIDEO_SENT, EventName.FOLLOW_UP_DONE).status is Status.FOLLOW_UP
        )

    def test_booking(self) -> None:
        booked = state_after(EventName.DM_STARTED, EventName.MEETING_BOOKED)
        assert (booked.status, booked.booking.state) == (Status.QUALIFIED, BookingState.BOOKED)
        assert booked.booking.time == T + timedelta(days=1)
        assert (
            state_after(EventName.MEETING_BOOKED, EventName.NO_SHOW).booking.state
            is BookingState.NO_SHOW
        )
        assert state_after(EventName.MEETING_BOOKED, EventName.MEETING_CANCELED).booking.state is (
            BookingState.CANCELED
        )
        held = state_after(EventName.MEETING_BOOKED, EventName.MEETING_HELD)
        assert (held.status, held.booking.state) == (Status.PRESENTATION_SENT, BookingState.HELD)

    def test_s_no_show(self) -> None:
        state = state_after(
            EventName.DM_STARTED, EventName.INVITE_SENT, EventName.MEETING_BOOKED, EventName.NO_SHOW
        )
        assert (state.status, state.booking.state) == (Status.QUALIFIED, BookingState.NO_SHOW)

    def test_joined_team(self) -> None:
        assert state_after(EventName.JOINED_TEAM).joined_team
        assert not state_after(EventName.PURCHASED).joined_team


class TestNotNow:
    def not_now(self) -> Entry:
        """A person's PUT to not_now (their moves are facts too)."""
        fact = Fact(
            event_id="move",
            event_name=EventName.STATUS_CHANGED,
            timestamp=T + timedelta(minutes=1),
            person_move=PersonMove(status=Status.NOT_NOW),
        )
        return Entry(
            event_id="move", event_name="STATUS_CHANGED", timestamp=fact.timestamp, fact=fact
        )

    @pytest.mark.parametrize(
        ("name", "status"),
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
    def test_reopening(self, name: EventName, status: Status) -> None:
        history = replay([entry(EventName.INVITE_SENT, 0), self.not_now(), entry(name, 10)])
        assert history.state.status is status


class TestConsentAndActivity:
    def test_opt_out_and_back_in(self) -> None:
        out = replay([entry(EventName.DM_STARTED, 0, messaging=False)])
        assert out.state.opted_out
        assert replay([entry(EventName.UNSUBSCRIBED, 0)]).state.opted_out
        back = replay(
            [
                entry(EventName.DM_STARTED, 0, messaging=False),
                entry(EventName.MESSAGE_SENT, 5, messaging=True),
            ]
        )
        assert not back.state.opted_out

    def test_last_activity_is_the_latest_activity(self) -> None:
        history = replay(
            [
                entry(EventName.DM_STARTED, 0),
                entry(EventName.INVITE_SENT, 30),
                entry(EventName.UNSUBSCRIBED, 60),
            ]
        )
        assert history.last_activity_at == T + timedelta(minutes=30)

    def test_canceled_meeting_is_not_activity(self) -> None:
        assert replay([entry(EventName.MEETING_CANCELED, 5)]).last_activity_at is None

    def test_opting_back_in_is_activity(self) -> None:
        history = replay(
            [entry(EventName.UNSUBSCRIBED, 0), entry(EventName.MEETING_CANCELED, 5, messaging=True)]
        )
        assert history.last_activity_at == T + timedelta(minutes=5)

    def test_consent_true_without_opt_out_is_not_activity(self) -> None:
        assert (
            replay([entry(EventName.MEETING_CANCELED, 5, messaging=True)]).last_activity_at is None
        )

    def test_interaction_counts_at_occurred_at(self) -> None:
        logged = Entry.of_interaction("i1", T + timedelta(hours=2), T + timedelta(hours=1))
        history = replay([entry(EventName.DM_STARTED, 0), logged])
        assert history.last_activity_at == T + timedelta(hours=1)
        assert history.state.status is Status.RELATIONSHIP


class TestArrivalOrder:
    def test_late_fact_is_detected(self) -> None:
        history = History().then(entry(EventName.INVITE_SENT, 10))
        assert history.is_late(entry(EventName.DM_STARTED, 5))
        assert not history.is_late(entry(EventName.DM_STARTED, 15))

    def test_late_booking_is_refolded(self) -> None:
        # The no-show arrived before the booking it is about.
        booked, no_show = entry(EventName.MEETING_BOOKED, 10), entry(EventName.NO_SHOW, 20)
        state = replay([no_show, booked]).state
        assert state.booking.state is BookingState.NO_SHOW

    def test_a_duplicate_changes_nothing(self) -> None:
        booked, no_show = entry(EventName.MEETING_BOOKED, 10), entry(EventName.NO_SHOW, 20)
        once = replay([booked, no_show])
        assert replay([booked, no_show, booked, no_show, booked]) == once


FACT_NAMES = sorted(EXTERNAL_EVENTS)


@st.composite
def histories(draw: st.DrawFn) -> list[Entry]:
    count = draw(st.integers(min_value=1, max_value=12))
    entries = []
    for n in range(count):
        name = draw(st.sampled_from(FACT_NAMES))
        minutes = draw(st.integers(min_value=0, max_value=60))  # ties are ordered by event id
        messaging = draw(st.sampled_from([None, None, True, False]))
        entries.append(entry(name, minutes, messaging=messaging, event_id=f"e{n:02d}"))
    # People's moves are facts too (at their request time).
    for n in range(draw(st.integers(min_value=0, max_value=3))):
        minutes = draw(st.integers(min_value=0, max_value=60))
        target = draw(st.sampled_from(Status))
        at = T + timedelta(minutes=minutes)
        entries.append(
            person_move_entry(f"p{n}", at, PipelineState(), PipelineState(status=target))
        )
    if draw(st.booleans()):
        imported = PipelineState(
            status=draw(st.sampled_from(Status)), joined_team=draw(st.booleans())
        )
        entries.append(creation_entry("created", T - timedelta(minutes=1), imported))
    return entries


@settings(max_examples=300, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_any_arrival_order_ends_where_timestamp_order_does(
    entries: list[Entry], random: object
) -> None:
    in_order = replay(entries)
    shuffled = list(entries)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    # What the service does as they arrive one by one: on top, or re-fold when late.
    history, seen = History(), []
    for arrived in [*shuffled, *shuffled[:2]]:  # and a few arrive twice
        if any(e.event_id == arrived.event_id for e in seen):
            continue
        history = replay([*seen, arrived]) if history.is_late(arrived) else history.then(arrived)
        seen.append(arrived)
    assert history == in_order
    assert history.state == fold(e.fact for e in entries if e.fact is not None)


def test_an_import_is_where_the_history_starts() -> None:
    imported = PipelineState(status=Status.QUALIFIED, joined_team=True)
    start = creation_entry("created", T, imported)
    assert replay([start]).state == imported
    # A later fact folds on top of it; an earlier one (late) is folded before it.
    assert replay([start, entry(EventName.VIDEO_SENT, 5)]).state.status is Status.PRESENTATION_SENT
    assert replay([start, entry(EventName.DM_STARTED, -5)]).state == imported


def test_a_persons_move_is_folded_in_time_order() -> None:
    back = person_move_entry(
        "move",
        T + timedelta(minutes=30),
        PipelineState(status=Status.INVITED),
        PipelineState(status=Status.RELATIONSHIP),
    )
    history = replay([entry(EventName.INVITE_SENT, 10), back, entry(EventName.MEETING_BOOKED, 40)])
    assert (history.state.status, history.state.booking.state) == (
        Status.QUALIFIED,
        BookingState.BOOKED,
    )
    assert replay([entry(EventName.INVITE_SENT, 10), back]).state.status is Status.RELATIONSHIP
