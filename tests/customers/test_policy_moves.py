"""A person's moves through the pipeline: every allowed and refused one (docs/domain.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_customers.customers.announce import BOOKING_EVENTS
from crm_customers.customers.policy.moves import (
    MoveRefused,
    ReasonRequired,
    created_state,
    next_stage_move,
    put_status,
    shows_term,
    states_showing,
)
from crm_schemas.catalog import EventName
from crm_schemas.next_action import NextAction, shown_next_action
from crm_schemas.pipeline import (
    OPEN_STATUSES,
    PIPELINE_ORDER,
    Booking,
    BookingState,
    PipelineState,
    Status,
)
from crm_schemas.vocabulary import (
    VOCABULARY_TERMS,
    UnknownTermError,
    Vocabulary,
    forward,
    reverse,
)

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(status: Status, booking: BookingState = BookingState.NONE) -> PipelineState:
    return PipelineState(status=status, booking=Booking(state=booking))


states = st.builds(
    PipelineState,
    status=st.sampled_from(Status),
    booking=st.builds(Booking, state=st.sampled_from(BookingState)),
    joined_team=st.booleans(),
    opted_out=st.booleans(),
)


class TestNextStage:
    @pytest.mark.parametrize(
        ("here", "there"),
        [
            (Status.LEAD, Status.RELATIONSHIP),
            (Status.RELATIONSHIP, Status.INVITED),
            (Status.QUALIFIED, Status.PRESENTATION_SENT),
            (Status.PRESENTATION_SENT, Status.FOLLOW_UP),
            (Status.FOLLOW_UP, Status.SIGNED_UP),
            (Status.NOT_NOW, Status.RELATIONSHIP),
        ],
    )
    def test_one_step_forward(self, here: Status, there: Status) -> None:
        assert next_stage_move(at(here), None).status is there

    def test_entering_qualified_needs_the_why(self) -> None:
        with pytest.raises(MoveRefused) as refused:
            next_stage_move(at(Status.INVITED), None)
        assert refused.value.missing == "prospect_why"
        with pytest.raises(MoveRefused):
            next_stage_move(at(Status.INVITED), "   ")
        assert next_stage_move(at(Status.INVITED), "free time").status is Status.QUALIFIED

    def test_signed_up_has_no_next(self) -> None:
        with pytest.raises(MoveRefused) as refused:
            next_stage_move(at(Status.SIGNED_UP), "why")
        assert refused.value.missing is None

    def test_keeps_booking_team_and_consent(self) -> None:
        state = PipelineState(
            status=Status.QUALIFIED,
            booking=Booking(state=BookingState.NO_SHOW),
            joined_team=True,
            opted_out=True,
        )
        moved = next_stage_move(state, None)
        assert moved == state.with_changes(status=Status.PRESENTATION_SENT)


class TestPutStatus:
    @pytest.mark.parametrize("here", PIPELINE_ORDER[1:])
    def test_one_step_back_needs_a_reason(self, here: Status) -> None:
        back = PIPELINE_ORDER[here.rank - 1]
        with pytest.raises(ReasonRequired):
            put_status(at(here), back.value, None, None)
        with pytest.raises(ReasonRequired):
            put_status(at(here), back.value, None, "  ")
        assert put_status(at(here), back.value, None, "mistake").status is back

    @pytest.mark.parametrize("here", sorted(OPEN_STATUSES))
    def test_not_now_from_any_open_stage(self, here: Status) -> None:
        assert put_status(at(here), "not_now", None, None).status is Status.NOT_NOW

    def test_relationship_from_not_now(self) -> None:
        assert (
            put_status(at(Status.NOT_NOW), "relationship", None, None).status is Status.RELATIONSHIP
        )

    def test_every_other_change_is_refused(self) -> None:
        allowed = 0
        for here in Status:
            for there in Status:
                if there is here:
                    continue
                back = (
                    here in PIPELINE_ORDER[1:]
                    and there in PIPELINE_ORDER
                    and there.rank == here.rank - 1
                )
                expected = (
                    back
                    or (there is Status.NOT_NOW and here.is_open)
                    or (here is Status.NOT_NOW and there is Status.RELATIONSHIP)
                )
                try:
                    put_status(at(here), there.value, None, "because")
                    assert expected, f"{here} -> {there} should be refused"
                    allowed += 1
                except MoveRefused:
                    assert not expected, f"{here} -> {there} should be allowed"
        assert allowed == 6 + 6 + 1

    def test_signed_up_to_not_now_is_refused(self) -> None:
        with pytest.raises(MoveRefused):
            put_status(at(Status.SIGNED_UP), "not_now", None, None)

    def test_changes_the_stage_only(self) -> None:
        state = at(Status.QUALIFIED, BookingState.BOOKED).with_changes(opted_out=True)
        moved = put_status(state, "Not Now", Vocabulary.FRAZER, None)
        assert moved == state.with_changes(status=Status.NOT_NOW)

    @given(states, st.sampled_from(Vocabulary))
    def test_writing_back_the_shown_term_is_a_no_op(
        self, state: PipelineState, vocabulary: Vocabulary
    ) -> None:
        shown = reverse(state, vocabulary)
        assert put_status(state, shown, vocabulary, None) == state
        assert put_status(state, shown.upper().replace("-", "_"), vocabulary, None) == state

    @given(states)
    def test_writing_back_the_canonical_code_is_a_no_op(self, state: PipelineState) -> None:
        assert put_status(state, state.status.value, None, None) == state

    def test_a_term_naming_the_same_stage_changes_nothing(self) -> None:
        # Booked names qualified + booked; a PUT changes the stage only, which is the same.
        state = at(Status.QUALIFIED)
        assert put_status(state, "Booked", Vocabulary.SALES, None) == state

    def test_terms_of_a_vocabulary(self) -> None:
        state = at(Status.SIGNED_UP)
        assert put_status(state, "Won", Vocabulary.SALES, None) == state
        assert (
            put_status(at(Status.QUALIFIED), "lost", Vocabulary.SALES, None).status
            is Status.NOT_NOW
        )
        with pytest.raises(MoveRefused):
            put_status(at(Status.LEAD), "Joined", Vocabulary.RECRUITING, None)
        # A booking term moves nobody itself: its booking fact moves the stage as facts do.
        assert put_status(at(Status.LEAD), "Held", Vocabulary.RECRUITING, None) == at(Status.LEAD)

    def test_unknown_term_lists_the_accepted(self) -> None:
        with pytest.raises(UnknownTermError) as unknown:
            put_status(at(Status.LEAD), "Video Sent", Vocabulary.SALES, None)
        assert unknown.value.accepted == VOCABULARY_TERMS[Vocabulary.SALES]
        with pytest.raises(UnknownTermError):
            put_status(at(Status.LEAD), "Booked", None, None)


class TestCreation:
    def test_booking_terms_set_the_booking(self) -> None:
        booked = created_state(forward("Booked", Vocabulary.RECRUITING))
        assert booked == at(Status.QUALIFIED, BookingState.BOOKED)
        held = created_state(forward("held", Vocabulary.SALES))
        assert held == at(Status.PRESENTATION_SENT, BookingState.HELD)
        assert created_state(forward("No-Show", Vocabulary.FRAZER)).booking.state is (
            BookingState.NO_SHOW
        )

    def test_team_and_joined_set_joined_team(self) -> None:
        assert created_state(forward("Team", Vocabulary.FRAZER)).joined_team
        assert created_state(forward("joined", Vocabulary.RECRUITING)).joined_team
        won = created_state(forward("Won", Vocabulary.SALES))
        assert won.status is Status.SIGNED_UP
        assert not won.joined_team

    def test_shows_term(self) -> None:
        assert shows_term(at(Status.QUALIFIED, BookingState.BOOKED), "booked", Vocabulary.FRAZER)
        assert not shows_term(at(Status.QUALIFIED), "Booked", Vocabulary.FRAZER)
        assert shows_term(at(Status.INVITED), "New", Vocabulary.SALES)


def test_every_booking_state_but_none_has_its_event() -> None:
    assert set(BOOKING_EVENTS) == set(BookingState) - {BookingState.NONE}
    assert BOOKING_EVENTS[BookingState.NO_SHOW] is EventName.NO_SHOW


class TestNextAction:
    nba = ("Rebook", T + timedelta(hours=1))

    def test_mirrors_the_nba_when_no_person_set_one(self) -> None:
        shown = shown_next_action(None, *self.nba, as_of=T)
        assert shown == NextAction("Rebook", T + timedelta(hours=1), by_person=False)

    def test_a_persons_action_stands_until_its_date_passes(self) -> None:
        person = NextAction("Call her", T + timedelta(days=1), by_person=True)
        assert shown_next_action(person, *self.nba, as_of=T) == person
        assert shown_next_action(person, *self.nba, as_of=T + timedelta(days=1)) == person
        later = shown_next_action(person, *self.nba, as_of=T + timedelta(days=2))
        assert later.title == "Rebook"
        assert not later.by_person

    def test_a_persons_action_without_date_stands(self) -> None:
        person = NextAction("Call her", None, by_person=True)
        assert shown_next_action(person, *self.nba, as_of=T + timedelta(days=300)) == person

    def test_a_cleared_persons_action_gives_way(self) -> None:
        cleared = NextAction(None, None, by_person=True)
        assert shown_next_action(cleared, *self.nba, as_of=T).title == "Rebook"


class TestStatesShowing:
    @pytest.mark.parametrize("vocabulary", list(Vocabulary))
    def test_each_state_shows_exactly_one_term(self, vocabulary: Vocabulary) -> None:
        seen: list[tuple[Status, BookingState, bool]] = []
        for term in VOCABULARY_TERMS[vocabulary]:
            seen.extend(states_showing(term, vocabulary))
        assert len(seen) == len(set(seen)) == len(Status) * len(BookingState) * 2

    def test_booked(self) -> None:
        assert set(states_showing("booked", Vocabulary.SALES)) == {
            (Status.QUALIFIED, BookingState.BOOKED, False),
            (Status.QUALIFIED, BookingState.BOOKED, True),
        }
