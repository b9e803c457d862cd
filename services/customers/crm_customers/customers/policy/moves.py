"""The pipeline rules for people (docs/domain.md, 'How a customer moves'), as pure functions.

A person's move is checked against the customer's current state when requested; facts
(events) go through the shared fold instead (see history.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import product

from crm_schemas.pipeline import (
    Booking,
    BookingState,
    PipelineState,
    Status,
    next_stage,
    previous_stage,
)
from crm_schemas.vocabulary import (
    TermMeaning,
    Vocabulary,
    forward,
    meaning_of,
    parse_status,
    parse_term,
    reverse,
)


class MoveRefused(Exception):
    """A move the pipeline does not allow (409); `missing` names a field that would allow it."""

    def __init__(self, detail: str, *, missing: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.missing = missing


class ReasonRequired(Exception):
    """One step back is allowed only with a reason (422 naming `reason`)."""


def created_state(meaning: TermMeaning) -> PipelineState:
    """Where an import puts someone: the term's stage, booking and joined_team (no event)."""
    return PipelineState(
        status=meaning.status,
        booking=Booking(state=meaning.booking),
        joined_team=meaning.joined_team,
    )


def shows_term(state: PipelineState, status: str, vocabulary: Vocabulary | None) -> bool:
    """Is `status` what the customer already shows? Writing it back must never move anyone."""
    if vocabulary is None:
        return meaning_of(status, None).status is state.status
    return parse_term(status, vocabulary) == reverse(state, vocabulary)


def booking_of_term(
    current: PipelineState, status: str, vocabulary: Vocabulary | None
) -> BookingState | None:
    """The booking a PUT of a status term stands for: the one a term names (Booked, No-Show,
    Held), or canceled for Qualified on a customer shown as Booked or No-Show; None for a
    term that moves the stage only, a canonical code, and the term the customer shows."""
    if vocabulary is None or shows_term(current, status, vocabulary):
        return None
    meaning = forward(status, vocabulary)
    if meaning.booking is not BookingState.NONE:
        return meaning.booking
    shown_booked = current.status is Status.QUALIFIED and current.booking.state in (
        BookingState.BOOKED,
        BookingState.NO_SHOW,
    )
    if meaning.status is Status.QUALIFIED and shown_booked:
        return BookingState.CANCELED
    return None


def put_status(
    current: PipelineState, status: str, vocabulary: Vocabulary | None, reason: str | None
) -> PipelineState:
    """The stage after a person's PUT of a status term; the same state when it is a no-op.

    Only the stage changes here. A term that stands for a booking (`booking_of_term`) moves
    nobody by itself: its booking fact moves the stage as facts do.
    """
    if shows_term(current, status, vocabulary):
        return current
    if booking_of_term(current, status, vocabulary) is not None:
        return current
    target = meaning_of(status, vocabulary).status
    here = current.status
    if target is here:
        return current
    if target is previous_stage(here):
        if not (reason and reason.strip()):
            raise ReasonRequired(f"Moving back from {here} to {target} needs a reason.")
        return current.with_changes(status=target)
    if target is Status.NOT_NOW and here.is_open:
        return current.with_changes(status=target)
    if here is Status.NOT_NOW and target is Status.RELATIONSHIP:
        return current.with_changes(status=target)
    raise MoveRefused(
        f"A person cannot move a customer from {here} to {target}: use next-stage to go "
        "one step forward; PUT allows one step back (with a reason), not_now from an open "
        "stage, and relationship from not_now."
    )


def next_stage_move(current: PipelineState, prospect_why: str | None) -> PipelineState:
    """One step forward; entering qualified needs the prospect's Why."""
    target = next_stage(current.status)
    if target is None:
        raise MoveRefused("A signed_up customer has no next stage.")
    if target is Status.QUALIFIED:
        _needs_why(prospect_why)
    return current.with_changes(status=target)


@dataclass(frozen=True)
class NextStep:
    """Where next-stage takes a customer: a person's move to `state`, or the booking fact
    for `booking` (as a booking PUT makes it), which moves the stage as facts do."""

    state: PipelineState | None = None
    booking: BookingState | None = None


def next_term_move(
    current: PipelineState, prospect_why: str | None, booking_time: datetime | None
) -> NextStep:
    """next-stage in the recruiting or sales vocabulary: to the next term of New ->
    Qualified -> Booked -> Held -> Joined/Won (No-Show -> Booked, Qualified shown at
    presentation_sent -> Held, Lost -> New). The canonical steps between two terms are one
    move, so its one STATUS_CHANGED is all a folder sees (several at one instant would fold
    in the order of their ids); Booked and Held are the booking facts."""
    status, booking = current.status, current.booking.state
    if status in (Status.LEAD, Status.RELATIONSHIP, Status.INVITED):
        _needs_why(prospect_why)
        return NextStep(state=current.with_changes(status=Status.QUALIFIED))
    if status is Status.QUALIFIED and booking is BookingState.BOOKED:
        return NextStep(booking=BookingState.HELD)
    if status is Status.QUALIFIED:
        if booking_time is None:
            raise MoveRefused(
                "Booking the meeting needs its time: send booking_time.", missing="booking_time"
            )
        return NextStep(booking=BookingState.BOOKED)
    if status is Status.PRESENTATION_SENT and booking is not BookingState.HELD:
        return NextStep(booking=BookingState.HELD)
    if status in (Status.PRESENTATION_SENT, Status.FOLLOW_UP):
        return NextStep(state=current.with_changes(status=Status.SIGNED_UP))
    # not_now (Lost) goes to relationship (New); signed_up has no next.
    return NextStep(state=next_stage_move(current, prospect_why))


def _needs_why(prospect_why: str | None) -> None:
    if not (prospect_why and prospect_why.strip()):
        raise MoveRefused(
            "Entering qualified needs the prospect's Why: send prospect_why.",
            missing="prospect_why",
        )


def states_showing(term: str, vocabulary: Vocabulary) -> list[tuple[Status, BookingState, bool]]:
    """Every (status, booking state, joined_team) a vocabulary shows as `term` (list filters)."""
    wanted = parse_term(term, vocabulary)
    return [
        (status, booking, joined)
        for status, booking, joined in product(Status, BookingState, (False, True))
        if reverse(
            PipelineState(status=status, booking=Booking(state=booking), joined_team=joined),
            vocabulary,
        )
        == wanted
    ]


def states_filtered(
    term: str, vocabulary: Vocabulary | None
) -> list[tuple[Status, BookingState | None, bool | None]]:
    """What a list filtered on a status term takes: (status, booking state, joined_team)
    triples, None for any; without a vocabulary the term is a status of the pipeline."""
    if vocabulary is None:
        return [(parse_status(term), None, None)]
    return list(states_showing(term, vocabulary))
