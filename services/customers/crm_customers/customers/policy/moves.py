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


def put_status(
    current: PipelineState, status: str, vocabulary: Vocabulary | None, reason: str | None
) -> PipelineState:
    """The state after a person's PUT of a status term; the same state when it is a no-op.

    Only the stage changes; the booking changes only through `booking` or booking events.
    """
    if shows_term(current, status, vocabulary):
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
    if target is Status.QUALIFIED and not (prospect_why and prospect_why.strip()):
        raise MoveRefused(
            "Entering qualified needs the prospect's Why: send prospect_why.",
            missing="prospect_why",
        )
    return current.with_changes(status=target)


@dataclass(frozen=True)
class NextAction:
    """What the card shows as next action, and whether a person chose it."""

    title: str | None
    due: datetime | None
    by_person: bool


def shown_next_action(
    person: NextAction | None, nba_title: str | None, nba_due: datetime | None, as_of: datetime
) -> NextAction:
    """A person's next action stands until its date has passed; otherwise the NBA's is shown."""
    standing = person is not None and person.title is not None
    if person is not None and standing and (person.due is None or person.due >= as_of):
        return person
    return NextAction(title=nba_title, due=nba_due, by_person=False)


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
