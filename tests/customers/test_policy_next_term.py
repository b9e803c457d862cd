"""next-stage with a vocabulary (docs/domain.md, 'Moving through the pipeline'): in recruiting
or sales to the vocabulary's next term from every state, the Why and the booking time asked
where needed; without one (or in frazer) one canonical step."""

from __future__ import annotations

import pytest

from crm_customers.customers.policy import changes
from crm_customers.customers.policy.changes import Change
from crm_customers.customers.policy.history import StoredHistory
from crm_customers.customers.policy.moves import MoveRefused
from crm_customers.customers.schemas import NextStageIn
from crm_schemas.catalog import EventName
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.vocabulary import Vocabulary, reverse

from .test_policy_booking_terms import MEETING, F, R, S, at, customer_at, names, person

# The next term of New -> Qualified -> Booked -> Held -> Joined/Won (docs/domain.md).
NEXT_TERM = {"New": "Qualified", "Booked": "Held", "No-Show": "Booked", "Lost": "New"}


def next_stage(
    state: PipelineState,
    vocabulary: Vocabulary | None,
    why: str | None = "more time with the kids",
    booking_time: bool = True,
) -> Change:
    customer, stored = customer_at(state)
    body = NextStageIn(prospect_why=why, booking_time=MEETING if booking_time else None)
    return changes.moved_to_next_stage(customer, stored, person(), body, vocabulary)


def every_state() -> list[PipelineState]:
    return [
        PipelineState(status=status, booking=Booking(state=booking), joined_team=joined)
        for status in Status
        for booking in BookingState
        for joined in (False, True)
    ]


class TestNextTerm:
    @pytest.mark.parametrize("vocabulary", [R, S])
    @pytest.mark.parametrize("state", every_state(), ids=repr)
    def test_from_every_state_to_the_next_term(
        self, vocabulary: Vocabulary, state: PipelineState
    ) -> None:
        shown = reverse(state, vocabulary)
        if state.status is Status.SIGNED_UP:
            with pytest.raises(MoveRefused) as refused:
                next_stage(state, vocabulary)
            assert refused.value.missing is None
            return
        after = reverse(next_stage(state, vocabulary).customer.state, vocabulary)
        expected = NEXT_TERM.get(shown)
        if shown == "Qualified":
            expected = "Booked" if state.status is Status.QUALIFIED else "Held"
        if shown == "Held":
            expected = "Joined" if vocabulary is R else "Won"
        if shown == "New" and state.booking.state in (BookingState.BOOKED, BookingState.NO_SHOW):
            # Reaching qualified with a booking kept from before shows that booking's term.
            expected = reverse(state.with_changes(status=Status.QUALIFIED), vocabulary)
        assert after == expected
        assert after != shown

    @pytest.mark.parametrize("vocabulary", [R, S])
    def test_the_why_and_the_booking_time_are_asked_where_needed(
        self, vocabulary: Vocabulary
    ) -> None:
        for status in (Status.LEAD, Status.RELATIONSHIP, Status.INVITED):
            with pytest.raises(MoveRefused) as refused:
                next_stage(at(status), vocabulary, why=None, booking_time=False)
            assert refused.value.missing == "prospect_why"
        for booking in (BookingState.NONE, BookingState.NO_SHOW, BookingState.CANCELED):
            with pytest.raises(MoveRefused) as refused:
                next_stage(at(Status.QUALIFIED, booking), vocabulary, why=None, booking_time=False)
            assert refused.value.missing == "booking_time"
        # Neither is asked where no step needs it.
        for state in (
            at(Status.QUALIFIED, BookingState.BOOKED),
            at(Status.PRESENTATION_SENT),
            at(Status.PRESENTATION_SENT, BookingState.HELD),
            at(Status.FOLLOW_UP),
            at(Status.NOT_NOW),
        ):
            next_stage(state, vocabulary, why=None, booking_time=False)

    def test_walking_recruiting_from_new(self) -> None:
        customer, _ = customer_at(at(Status.LEAD))
        walked, emitted = ["New"], []
        for step in range(4):
            change = changes.moved_to_next_stage(
                customer,
                StoredHistory(customer.history),
                person(f"step-{step}"),
                NextStageIn(prospect_why="more time with the kids", booking_time=MEETING),
                R,
            )
            customer = change.customer
            walked.append(reverse(customer.state, R))
            emitted.append(names(change))
        state = customer.state
        assert walked == ["New", "Qualified", "Booked", "Held", "Joined"]
        assert emitted == [
            [EventName.CUSTOMER_UPDATED, EventName.STATUS_CHANGED],  # the Why, then the move
            [EventName.MEETING_BOOKED, EventName.STATUS_CHANGED],
            [EventName.MEETING_HELD, EventName.STATUS_CHANGED],
            [EventName.STATUS_CHANGED],
        ]
        assert state.booking == Booking(state=BookingState.HELD, time=MEETING)
        with pytest.raises(MoveRefused):
            next_stage(state, R)
        assert customer.prospect_why == "more time with the kids"

    def test_the_steps_between_two_terms_are_one_move(self) -> None:
        change = next_stage(at(Status.LEAD), S)
        (moved,) = [e for e in change.events if e.event_name is EventName.STATUS_CHANGED]
        assert (moved.properties["from"]["status"], moved.properties["to"]["status"]) == (
            "lead",
            "qualified",
        )
        assert moved.properties["actor"] == "person"
        held = at(Status.PRESENTATION_SENT, BookingState.HELD)
        (signed,) = next_stage(held, S, why=None).events
        assert (signed.properties["from"]["status"], signed.properties["to"]["status"]) == (
            "presentation_sent",
            "signed_up",
        )

    @pytest.mark.parametrize("vocabulary", [None, F])
    def test_without_recruiting_or_sales_one_canonical_step(
        self, vocabulary: Vocabulary | None
    ) -> None:
        assert next_stage(at(Status.LEAD), vocabulary).customer.state == at(Status.RELATIONSHIP)
        booked = at(Status.QUALIFIED, BookingState.BOOKED)
        (moved,) = next_stage(booked, vocabulary, why=None).events
        assert moved.properties["to"]["status"] == "presentation_sent"
        assert moved.properties["to"]["booking"]["state"] == "booked"
