"""The next-action rule both the customers service and stats fold (crm_schemas.next_action)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crm_schemas.next_action import (
    NextAction,
    NextActionState,
    NextActionStep,
    StepKind,
    folded,
)

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


def person(title: str | None, due: datetime | None, at: datetime) -> NextActionStep:
    return NextActionStep(StepKind.PERSON, title, due, at)


def nba(title: str | None, due: datetime | None, at: datetime) -> NextActionStep:
    return NextActionStep(StepKind.NBA, title, due, at)


def test_the_nba_shows_until_a_person_chooses_and_again_once_their_date_has_passed() -> None:
    state = folded(NextActionState(), [nba("Rebook", T + H, T)])
    assert state.shown == NextAction("Rebook", T + H, by_person=False)
    state = state.after(person("Call her", T + 5 * H, T + H))
    assert state.shown == NextAction("Call her", T + 5 * H, by_person=True)
    # The NBA moves while the person's choice stands: the card keeps showing the choice.
    state = state.after(nba("Ask why", T + 2 * H, T + 2 * H))
    assert state.shown.title == "Call her"
    assert (state.nba_title, state.nba_due) == ("Ask why", T + 2 * H)
    # Judged at the NBA's next change, after the person's date: the NBA shows again.
    state = state.after(nba("Ask again", T + 7 * H, T + 6 * H))
    assert state.shown == NextAction("Ask again", T + 7 * H, by_person=False)


def test_a_person_clearing_their_choice_shows_the_nba_known() -> None:
    state = folded(NextActionState(), [nba("Rebook", T, T), person("Call", None, T + H)])
    assert state.shown.title == "Call"
    assert state.after(person(None, None, T + 2 * H)).shown == NextAction("Rebook", T, False)


def test_an_nba_of_no_action_clears_what_it_showed() -> None:
    state = folded(NextActionState(), [nba("Rebook", T, T), nba(None, None, T + H)])
    assert state.shown == NextAction(None, None, by_person=False)


def test_a_next_action_given_at_creation_is_shown_as_given_even_dated_in_the_past() -> None:
    created = NextActionStep(StepKind.CREATED, "Call", T - H, T)
    state = NextActionState().after(created)
    assert state.shown == NextAction("Call", T - H, by_person=True)
    # The next judgement finds its date passed.
    assert state.after(nba("Rebook", T + H, T + H)).shown.title == "Rebook"


def test_a_creation_without_one_shows_an_nba_met_before_it() -> None:
    # Stats may read a fact's customer's NBA_CHANGED before customers' CUSTOMER_CREATED.
    state = folded(
        NextActionState(),
        [nba("Invite them", T + H, T), NextActionStep(StepKind.CREATED, None, None, T)],
    )
    assert state.shown == NextAction("Invite them", T + H, by_person=False)


titles = st.one_of(st.none(), st.sampled_from(["Call", "Rebook", "Ask why"]))
dues = st.one_of(st.none(), st.integers(-48, 48).map(lambda h: T + h * H))
steps = st.lists(
    st.builds(
        NextActionStep,
        kind=st.sampled_from([StepKind.PERSON, StepKind.NBA]),
        title=titles,
        due=dues,
        at=st.integers(0, 48).map(lambda h: T + h * H),
    ),
    max_size=12,
)


@given(steps, st.integers(0, 12))
def test_folding_in_two_parts_ends_where_folding_at_once_ends(
    sequence: list[NextActionStep], cut: int
) -> None:
    # A batch boundary may fall anywhere: the state between is all that is carried over.
    at_once = folded(NextActionState(), sequence)
    in_two = folded(folded(NextActionState(), sequence[:cut]), sequence[cut:])
    assert in_two == at_once


@given(steps)
def test_what_is_shown_is_the_person_s_standing_choice_or_else_the_nba_s(
    sequence: list[NextActionStep],
) -> None:
    state = folded(NextActionState(), sequence)
    if not sequence:
        assert state == NextActionState()
        return
    last = sequence[-1].at
    choice = state.person
    if choice is not None and (choice.due is None or choice.due >= last):
        assert state.shown == choice
    else:
        assert state.shown == NextAction(state.nba_title, state.nba_due, by_person=False)
