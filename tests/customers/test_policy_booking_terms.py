"""Booking terms in a person's PUT (docs/domain.md, 'Vocabularies'): a status term that names
a booking acts as the booking PUT, Qualified on a booked customer cancels the booking, and
writing back the shown term is a no-op."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_customers.customers.policy import changes
from crm_customers.customers.policy.booking_terms import booking_shape
from crm_customers.customers.policy.changes import ByPerson, Change, FieldRefused
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.history import History, StoredHistory
from crm_customers.customers.policy.moves import MoveRefused, booking_of_term
from crm_customers.customers.schemas import BookingIn, CustomerPatch
from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.causes import Command
from crm_schemas.fold import Fact
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.vocabulary import VOCABULARY_TERMS, Vocabulary, forward, reverse

from .events import T

H = timedelta(hours=1)
F, R, S = Vocabulary.FRAZER, Vocabulary.RECRUITING, Vocabulary.SALES
MEETING = T + 48 * H
BOOKING_TERMS = ("Booked", "No-Show", "Held")

states = st.builds(
    PipelineState,
    status=st.sampled_from(Status),
    booking=st.builds(
        Booking,
        state=st.sampled_from(BookingState),
        time=st.sampled_from([None, T + 24 * H]),
    ),
    joined_team=st.booleans(),
    opted_out=st.booleans(),
)


def person(key: str = "request-1") -> ByPerson:
    # A stable cause, so two ways of asking for the same thing can be compared event by event.
    command = Command(account_id="acme", actor_id="marketer-1", at=T + H, idempotency_key=key)
    return ByPerson(command.cause("PUT /x", EventName.STATUS_CHANGED), "acme", "NO")


def customer_at(state: PipelineState) -> tuple[Customer, StoredHistory]:
    history = History(state=state, latest=(T, str(uuid.UUID(int=1))))
    customer = Customer(
        account_id="acme",
        id=uuid.UUID(int=7),
        name="Kari",
        history=history,
        created_at=T,
        updated_at=T,
    )
    return customer, StoredHistory(history)


def at(status: Status, booking: BookingState = BookingState.NONE) -> PipelineState:
    return PipelineState(status=status, booking=Booking(state=booking))


def put(state: PipelineState, body: CustomerPatch, vocabulary: Vocabulary | None) -> Change:
    customer, stored = customer_at(state)
    return changes.updated(customer, stored, person(), body, vocabulary)


def names(change: Change) -> list[EventName]:
    return [event.event_name for event in change.events]


class TestBookingTermsInAPut:
    @given(
        state=states,
        vocabulary=st.sampled_from(Vocabulary),
        term=st.sampled_from(BOOKING_TERMS),
        booking_id=st.sampled_from([None, "b-1"]),
    )
    def test_a_booking_term_acts_exactly_as_the_booking_put(
        self, state: PipelineState, vocabulary: Vocabulary, term: str, booking_id: str | None
    ) -> None:
        if term not in VOCABULARY_TERMS[vocabulary] or reverse(state, vocabulary) == term:
            return
        booking = forward(term, vocabulary).booking
        by_term = put(
            state,
            CustomerPatch(status=term, booking=BookingIn(time=MEETING, booking_id=booking_id)),
            vocabulary,
        )
        by_booking = put(
            state,
            CustomerPatch(
                booking=BookingIn(state=booking.value, time=MEETING, booking_id=booking_id)
            ),
            None,
        )
        assert by_term == by_booking
        assert (
            names(by_term)[0]
            is {
                BookingState.BOOKED: EventName.MEETING_BOOKED,
                BookingState.NO_SHOW: EventName.NO_SHOW,
                BookingState.HELD: EventName.MEETING_HELD,
            }[booking]
        )

    @pytest.mark.parametrize("vocabulary", [R, S, F])
    def test_booked_on_a_qualified_customer_books_them(self, vocabulary: Vocabulary) -> None:
        change = put(
            at(Status.QUALIFIED),
            CustomerPatch(status="booked", booking=BookingIn(time=MEETING)),
            vocabulary,
        )
        assert reverse(change.customer.state, vocabulary) == "Booked"
        assert change.customer.state.booking.time == MEETING
        fact, moved = change.events
        assert (fact.event_name, fact.source.value) == (EventName.MEETING_BOOKED, "manual")
        assert datetime.fromisoformat(fact.properties["booking_time"]) == MEETING
        # A fact like a webhook's: every folder (rules, nba, stats) takes it as one.
        assert fact.event_name in EXTERNAL_EVENTS
        assert Fact.from_event(fact) is not None
        assert (moved.event_name, moved.properties["actor"]) == (EventName.STATUS_CHANGED, "event")

    @pytest.mark.parametrize(
        ("state", "term", "shown"),
        [
            (at(Status.QUALIFIED, BookingState.BOOKED), "No\u2011Show", "No-Show"),
            (at(Status.QUALIFIED, BookingState.BOOKED), "held", "Held"),
            (at(Status.LEAD), "Held", "Held"),
            (at(Status.NOT_NOW), "Booked", "Booked"),
            (at(Status.QUALIFIED, BookingState.NO_SHOW), "BOOKED", "Booked"),
        ],
    )
    def test_the_fact_moves_the_stage_as_facts_do(
        self, state: PipelineState, term: str, shown: str
    ) -> None:
        change = put(state, CustomerPatch(status=term, booking=BookingIn(time=MEETING)), R)
        assert reverse(change.customer.state, R) == shown

    def test_booked_needs_the_booking_time(self) -> None:
        for body in (
            CustomerPatch(status="Booked"),
            CustomerPatch(status="Booked", booking=BookingIn(booking_id="b-1")),
        ):
            with pytest.raises(FieldRefused) as refused:
                put(at(Status.QUALIFIED), body, S)
            assert refused.value.loc == ("body", "booking", "time")

    def test_a_booking_state_that_contradicts_the_term_is_refused(self) -> None:
        body = CustomerPatch(status="Held", booking=BookingIn(state="no_show"))
        with pytest.raises(FieldRefused) as refused:
            put(at(Status.QUALIFIED), body, R)
        assert refused.value.loc == ("body", "booking", "state")
        same = CustomerPatch(status="Held", booking=BookingIn(state="held"))
        assert names(put(at(Status.QUALIFIED), same, R))[0] is EventName.MEETING_HELD

    @pytest.mark.parametrize("booking", [BookingState.BOOKED, BookingState.NO_SHOW])
    @pytest.mark.parametrize("vocabulary", list(Vocabulary))
    def test_qualified_on_a_booked_customer_cancels_the_booking(
        self, booking: BookingState, vocabulary: Vocabulary
    ) -> None:
        change = put(at(Status.QUALIFIED, booking), CustomerPatch(status="qualified"), vocabulary)
        assert names(change) == [EventName.MEETING_CANCELED, EventName.STATUS_CHANGED]
        assert change.customer.state == at(Status.QUALIFIED, BookingState.CANCELED)
        assert reverse(change.customer.state, vocabulary) == "Qualified"

    def test_other_terms_follow_the_move_rules(self) -> None:
        # Qualified is one step back from Held (presentation_sent + held): a reason is needed.
        assert booking_of_term(at(Status.PRESENTATION_SENT, BookingState.HELD), "Qualified", R) is (
            None
        )
        lost = put(at(Status.QUALIFIED, BookingState.BOOKED), CustomerPatch(status="Lost"), R)
        assert lost.customer.state == at(Status.NOT_NOW, BookingState.BOOKED)
        with pytest.raises(MoveRefused):
            put(at(Status.LEAD), CustomerPatch(status="Won"), S)
        # A canonical code never names a booking.
        assert booking_of_term(at(Status.INVITED), "qualified", None) is None

    @given(state=states, vocabulary=st.sampled_from(Vocabulary))
    def test_writing_back_the_shown_term_is_a_no_op(
        self, state: PipelineState, vocabulary: Vocabulary
    ) -> None:
        customer, _ = customer_at(state)
        change = put(state, CustomerPatch(status=reverse(state, vocabulary)), vocabulary)
        assert (change.customer, change.entries, change.events) == (customer, (), ())

    def test_a_booking_without_its_state_needs_a_term_that_names_one(self) -> None:
        stateless = BookingIn(time=MEETING)
        for body, vocabulary in (
            (CustomerPatch(booking=stateless), R),
            (CustomerPatch(status="qualified", booking=stateless), None),
        ):
            with pytest.raises(FieldRefused) as refused:
                booking_shape(body, vocabulary)
            assert refused.value.loc == ("body", "booking", "state")
        # A term that names no booking for this customer: known once the state is read.
        with pytest.raises(FieldRefused) as refused:
            put(at(Status.QUALIFIED), CustomerPatch(status="Lost", booking=stateless), R)
        assert refused.value.loc == ("body", "booking", "state")
