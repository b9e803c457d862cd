"""The status mapping against docs/domain.md's forward list and reverse table, term by term."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.vocabulary import (
    UNICODE_DASHES,
    VOCABULARY_TERMS,
    UnknownTermError,
    Vocabulary,
    forward,
    normalize_term,
    parse_booking_state,
    parse_status,
    parse_term,
    reverse,
)

F, R, S = Vocabulary.FRAZER, Vocabulary.RECRUITING, Vocabulary.SALES

# docs/domain.md, forward: term -> (status, booking, joined_team), for each vocabulary that has it.
FORWARD_TABLE = {
    "New": ("lead", "none", False),
    "Relationship": ("relationship", "none", False),
    "Invited": ("invited", "none", False),
    "Qualified": ("qualified", "none", False),
    "Booked": ("qualified", "booked", False),
    "No-Show": ("qualified", "no_show", False),
    "Held": ("presentation_sent", "held", False),
    "Video Sent": ("presentation_sent", "none", False),
    "Follow-up": ("follow_up", "none", False),
    "Signed-up": ("signed_up", "none", False),
    "Team": ("signed_up", "none", True),
    "Joined": ("signed_up", "none", True),
    "Won": ("signed_up", "none", False),
    "Not Now": ("not_now", "none", False),
    "Lost": ("not_now", "none", False),
}

# docs/domain.md, reverse: (status, booking or "any"/"other") -> (frazer, recruiting, sales).
REVERSE_TABLE = [
    ("lead", "any", ("New", "New", "New")),
    ("relationship", "any", ("Relationship", "New", "New")),
    ("invited", "any", ("Invited", "New", "New")),
    ("qualified", "none", ("Qualified", "Qualified", "Qualified")),
    ("qualified", "canceled", ("Qualified", "Qualified", "Qualified")),
    ("qualified", "held", ("Qualified", "Qualified", "Qualified")),
    ("qualified", "booked", ("Booked", "Booked", "Booked")),
    ("qualified", "no_show", ("No-Show", "No-Show", "No-Show")),
    ("presentation_sent", "held", ("Video Sent", "Held", "Held")),
    ("presentation_sent", "other", ("Video Sent", "Qualified", "Qualified")),
    ("follow_up", "any", ("Follow-up", "Held", "Held")),
    ("not_now", "any", ("Not Now", "Lost", "Lost")),
]


def _bookings(spec: str) -> list[BookingState]:
    if spec == "any":
        return list(BookingState)
    if spec == "other":
        return [b for b in BookingState if b is not BookingState.HELD]
    return [BookingState(spec)]


@pytest.mark.parametrize("vocabulary", list(Vocabulary))
def test_every_term_maps_forward_as_domain_says(vocabulary: Vocabulary) -> None:
    for term in VOCABULARY_TERMS[vocabulary]:
        meaning = forward(term, vocabulary)
        assert (meaning.status.value, meaning.booking.value, meaning.joined_team) == FORWARD_TABLE[
            term
        ], term


@pytest.mark.parametrize(("status", "booking", "terms"), REVERSE_TABLE)
def test_reverse_table(status: str, booking: str, terms: tuple[str, str, str]) -> None:
    for booking_state in _bookings(booking):
        for joined in (False, True):
            state = PipelineState(
                status=Status(status), booking=Booking(state=booking_state), joined_team=joined
            )
            assert (reverse(state, F), reverse(state, R), reverse(state, S)) == terms


def test_signed_up_reverse_depends_on_joined_team_in_frazer_only() -> None:
    for booking_state in BookingState:
        plain = PipelineState(status=Status.SIGNED_UP, booking=Booking(state=booking_state))
        team = plain.with_changes(joined_team=True)
        assert (reverse(plain, F), reverse(plain, R), reverse(plain, S)) == (
            "Signed-up",
            "Joined",
            "Won",
        )
        assert (reverse(team, F), reverse(team, R), reverse(team, S)) == ("Team", "Joined", "Won")


def test_every_reverse_term_belongs_to_its_vocabulary() -> None:
    for status in Status:
        for booking_state in BookingState:
            for joined in (False, True):
                state = PipelineState(
                    status=status, booking=Booking(state=booking_state), joined_team=joined
                )
                for vocabulary in Vocabulary:
                    assert reverse(state, vocabulary) in VOCABULARY_TERMS[vocabulary]


def test_recruiting_terms_are_the_legacy_pipeline() -> None:
    assert VOCABULARY_TERMS[R] == (
        "New",
        "Qualified",
        "Booked",
        "Held",
        "Joined",
        "Lost",
        "No-Show",
    )
    assert VOCABULARY_TERMS[S] == ("New", "Qualified", "Booked", "Held", "Won", "Lost", "No-Show")


states = st.builds(
    PipelineState,
    status=st.sampled_from(list(Status)),
    booking=st.builds(Booking, state=st.sampled_from(list(BookingState))),
    joined_team=st.booleans(),
    opted_out=st.booleans(),
)


def _state_of(term: str, vocabulary: Vocabulary) -> PipelineState:
    meaning = forward(term, vocabulary)
    return PipelineState(
        status=meaning.status,
        booking=Booking(state=meaning.booking),
        joined_team=meaning.joined_team,
    )


@given(state=states, vocabulary=st.sampled_from(list(Vocabulary)))
def test_reverse_forward_reverse_is_stable(state: PipelineState, vocabulary: Vocabulary) -> None:
    shown = reverse(state, vocabulary)
    assert reverse(_state_of(shown, vocabulary), vocabulary) == shown


# What may stand between and around a term's letters: spaces of any kind (a no-break space
# pasted from a document too), hyphens, every Unicode dash, underscores.
SEPARATORS = st.text(
    alphabet=st.sampled_from([" ", "\u00a0", "\t", "-", "_", *sorted(UNICODE_DASHES)]),
    max_size=3,
)


def _respell(term: str, data: st.DataObject) -> str:
    out = [data.draw(SEPARATORS)]
    for ch in term:
        if ch in " -":
            out.append(data.draw(SEPARATORS))
        else:
            out.append(ch.upper() if data.draw(st.booleans()) else ch.lower())
    out.append(data.draw(SEPARATORS))
    return "".join(out)


@given(vocabulary=st.sampled_from(list(Vocabulary)), data=st.data())
def test_matching_ignores_case_spaces_dashes_underscores(
    vocabulary: Vocabulary, data: st.DataObject
) -> None:
    term = data.draw(st.sampled_from(VOCABULARY_TERMS[vocabulary]))
    assert forward(_respell(term, data), vocabulary) == forward(term, vocabulary)
    assert parse_term(_respell(term, data), vocabulary) == term


@pytest.mark.parametrize(
    "spelling",
    ["No\u2011Show", "No\u2014Show", "no show", "NO_SHOW", "No\u2212Show", "no-show"],
)
@pytest.mark.parametrize("vocabulary", list(Vocabulary))
def test_no_show_in_every_spelling_of_the_earlier_system(
    spelling: str, vocabulary: Vocabulary
) -> None:
    assert parse_term(spelling, vocabulary) == "No-Show"
    assert parse_booking_state(spelling) is BookingState.NO_SHOW


def test_the_dashes_are_u2010_to_u2015_and_the_minus_sign() -> None:
    assert sorted(UNICODE_DASHES) == [*map(chr, range(0x2010, 0x2016)), "\u2212"]
    for dash in UNICODE_DASHES:
        assert parse_term(f"Follow{dash}up", F) == "Follow-up"
        assert parse_status(f"not{dash}now") is Status.NOT_NOW


@given(vocabulary=st.sampled_from(list(Vocabulary)), text=st.text(max_size=20))
def test_anything_else_is_refused_listing_the_accepted_terms(
    vocabulary: Vocabulary, text: str
) -> None:
    known = {normalize_term(term): term for term in VOCABULARY_TERMS[vocabulary]}
    if normalize_term(text) in known:
        assert parse_term(text, vocabulary) == known[normalize_term(text)]
        return
    with pytest.raises(UnknownTermError) as caught:
        parse_term(text, vocabulary)
    assert caught.value.accepted == VOCABULARY_TERMS[vocabulary]


def test_a_dash_is_no_letter() -> None:
    # Separators are ignored, never a wildcard: a letter missing or added is another word.
    for spelling in ("No\u2011Sho", "Noo\u2014Show", "No.Show", "No/Show"):
        with pytest.raises(UnknownTermError):
            parse_term(spelling, R)


def test_term_outside_the_vocabulary_lists_the_accepted_terms() -> None:
    with pytest.raises(UnknownTermError) as caught:
        forward("Won", R)
    assert caught.value.accepted == VOCABULARY_TERMS[R]
    assert "Joined" in str(caught.value)
    with pytest.raises(UnknownTermError):
        forward("Team", S)


def test_canonical_codes_and_legacy_booking_values() -> None:
    assert parse_status("Presentation-Sent") is Status.PRESENTATION_SENT
    assert parse_status("NOT NOW") is Status.NOT_NOW
    with pytest.raises(UnknownTermError):
        parse_status("Booked")
    assert parse_booking_state("pending") is BookingState.BOOKED
    assert parse_booking_state("confirmed") is BookingState.BOOKED
    assert parse_booking_state("no-show") is BookingState.NO_SHOW
    assert parse_booking_state("held") is BookingState.HELD
    with pytest.raises(UnknownTermError):
        parse_booking_state("maybe")
