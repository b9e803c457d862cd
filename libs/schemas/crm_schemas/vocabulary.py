"""Status vocabularies (frazer, recruiting, sales) and their mapping to the canonical pipeline.

The forward list and the reverse table are docs/domain.md's, written as data so the concordance
artifact and the tests read the same thing the services use.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from crm_schemas.pipeline import BookingState, PipelineState, Status


class Vocabulary(StrEnum):
    FRAZER = "frazer"
    RECRUITING = "recruiting"
    SALES = "sales"


VOCABULARY_TERMS: dict[Vocabulary, tuple[str, ...]] = {
    Vocabulary.FRAZER: (
        "New",
        "Relationship",
        "Invited",
        "Qualified",
        "Booked",
        "No-Show",
        "Video Sent",
        "Follow-up",
        "Signed-up",
        "Team",
        "Not Now",
    ),
    # As the legacy pipelines.json lists them.
    Vocabulary.RECRUITING: ("New", "Qualified", "Booked", "Held", "Joined", "Lost", "No-Show"),
    Vocabulary.SALES: ("New", "Qualified", "Booked", "Held", "Won", "Lost", "No-Show"),
}


class TermMeaning(NamedTuple):
    """What a term says: the canonical status, the booking it names, and joined_team."""

    status: Status
    booking: BookingState
    joined_team: bool = False


# Forward: term -> canonical status + booking (a term that names no booking gives none).
FORWARD: dict[str, TermMeaning] = {
    "New": TermMeaning(Status.LEAD, BookingState.NONE),
    "Relationship": TermMeaning(Status.RELATIONSHIP, BookingState.NONE),
    "Invited": TermMeaning(Status.INVITED, BookingState.NONE),
    "Qualified": TermMeaning(Status.QUALIFIED, BookingState.NONE),
    "Booked": TermMeaning(Status.QUALIFIED, BookingState.BOOKED),
    "No-Show": TermMeaning(Status.QUALIFIED, BookingState.NO_SHOW),
    "Held": TermMeaning(Status.PRESENTATION_SENT, BookingState.HELD),
    "Video Sent": TermMeaning(Status.PRESENTATION_SENT, BookingState.NONE),
    "Follow-up": TermMeaning(Status.FOLLOW_UP, BookingState.NONE),
    "Signed-up": TermMeaning(Status.SIGNED_UP, BookingState.NONE),
    "Team": TermMeaning(Status.SIGNED_UP, BookingState.NONE, joined_team=True),
    "Joined": TermMeaning(Status.SIGNED_UP, BookingState.NONE, joined_team=True),
    "Won": TermMeaning(Status.SIGNED_UP, BookingState.NONE),
    "Not Now": TermMeaning(Status.NOT_NOW, BookingState.NONE),
    "Lost": TermMeaning(Status.NOT_NOW, BookingState.NONE),
}

# Legacy deal booking_status values (crm_objects.json) and the canonical names.
_BOOKING_ALIASES: dict[str, BookingState] = {
    "none": BookingState.NONE,
    "booked": BookingState.BOOKED,
    "pending": BookingState.BOOKED,
    "confirmed": BookingState.BOOKED,
    "held": BookingState.HELD,
    "noshow": BookingState.NO_SHOW,
    "canceled": BookingState.CANCELED,
    "cancelled": BookingState.CANCELED,
}


class UnknownTermError(ValueError):
    """A term outside the chosen vocabulary; carries the accepted terms for the 422 answer."""

    def __init__(self, term: str, vocabulary: str, accepted: tuple[str, ...]) -> None:
        self.term = term
        self.vocabulary = vocabulary
        self.accepted = accepted
        super().__init__(f"'{term}' is not a {vocabulary} status; accepted: {', '.join(accepted)}")


# Every Unicode dash counts as a hyphen: the earlier system's own documents write No-Show
# with U+2011, and editors turn hyphens into en and em dashes.
UNICODE_DASHES = frozenset("".join(chr(code) for code in range(0x2010, 0x2016)) + "\u2212")
_IGNORED = frozenset("-_") | UNICODE_DASHES


def normalize_term(term: str) -> str:
    """Matching ignores case, whitespace, hyphens (any Unicode dash) and underscores."""
    return "".join(ch for ch in term.casefold() if ch not in _IGNORED and not ch.isspace())


def parse_term(term: str, vocabulary: Vocabulary) -> str:
    """The vocabulary's own spelling of a term, or UnknownTermError listing the accepted ones."""
    wanted = normalize_term(term)
    for known in VOCABULARY_TERMS[vocabulary]:
        if normalize_term(known) == wanted:
            return known
    raise UnknownTermError(term, vocabulary.value, VOCABULARY_TERMS[vocabulary])


def parse_status(code: str) -> Status:
    """A canonical status code (what a status given without `pipeline` is)."""
    wanted = normalize_term(code)
    for status in Status:
        if normalize_term(status.value) == wanted:
            return status
    raise UnknownTermError(code, "canonical", tuple(s.value for s in Status))


def parse_booking_state(value: str) -> BookingState:
    """A booking state, accepting the legacy pending/confirmed (booked) and no-show spellings."""
    try:
        return _BOOKING_ALIASES[normalize_term(value)]
    except KeyError:
        raise UnknownTermError(value, "booking", tuple(b.value for b in BookingState)) from None


def forward(term: str, vocabulary: Vocabulary) -> TermMeaning:
    """Term of a vocabulary -> canonical status, booking and joined_team."""
    return FORWARD[parse_term(term, vocabulary)]


def meaning_of(status_or_term: str, vocabulary: Vocabulary | None) -> TermMeaning:
    """A status given with a pipeline is a term of it; without one, a canonical code."""
    if vocabulary is None:
        return TermMeaning(parse_status(status_or_term), BookingState.NONE)
    return forward(status_or_term, vocabulary)


def reverse(state: PipelineState, vocabulary: Vocabulary) -> str:
    """Canonical state -> the term a vocabulary shows for it (docs/domain.md's reverse table)."""
    status, booking = state.status, state.booking.state
    frazer = vocabulary is Vocabulary.FRAZER
    if status is Status.LEAD:
        return "New"
    if status is Status.RELATIONSHIP:
        return "Relationship" if frazer else "New"
    if status is Status.INVITED:
        return "Invited" if frazer else "New"
    if status is Status.QUALIFIED:
        if booking is BookingState.BOOKED:
            return "Booked"
        if booking is BookingState.NO_SHOW:
            return "No-Show"
        return "Qualified"
    if status is Status.PRESENTATION_SENT:
        if frazer:
            return "Video Sent"
        return "Held" if booking is BookingState.HELD else "Qualified"
    if status is Status.FOLLOW_UP:
        return "Follow-up" if frazer else "Held"
    if status is Status.SIGNED_UP:
        if vocabulary is Vocabulary.RECRUITING:
            return "Joined"
        if vocabulary is Vocabulary.SALES:
            return "Won"
        return "Team" if state.joined_team else "Signed-up"
    return "Not Now" if frazer else "Lost"


def parse_vocabulary(name: str) -> Vocabulary:
    wanted = normalize_term(name)
    for vocabulary in Vocabulary:
        if vocabulary.value == wanted:
            return vocabulary
    raise UnknownTermError(name, "pipeline", tuple(v.value for v in Vocabulary))
