"""A card's next action (docs/domain.md, 'Next action'), as pure functions shared by the
customers service, which shows it, and stats, which counts next_actions_overdue from it.

A person's choice stands until its date has passed; otherwise the card mirrors the NBA. Only
a person's choice is announced (CUSTOMER_CREATED, CUSTOMER_UPDATED with
`person_next_action`): the NBA's already travels in NBA_CHANGED, so a change of the mirror
alone is not announced again, and whoever needs what the card shows folds the same steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from crm_schemas.system_properties import Recommendation


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


class StepKind(StrEnum):
    CREATED = "created"  # CUSTOMER_CREATED: the next action given at creation
    PERSON = "person"  # a person's CUSTOMER_UPDATED naming person_next_action
    NBA = "nba"  # NBA_CHANGED: the recommendation's title and due_at


@dataclass(frozen=True)
class NextActionStep:
    """One event that decides the next action, at its instant (the event's timestamp)."""

    kind: StepKind
    title: str | None
    due: datetime | None
    at: datetime


@dataclass(frozen=True)
class NextActionState:
    """The person's choice (None when there is none), the NBA's, and what the card shows."""

    person: NextAction | None = None
    nba_title: str | None = None
    nba_due: datetime | None = None
    shown: NextAction = NextAction(None, None, by_person=False)

    def after(self, step: NextActionStep) -> NextActionState:
        """The state after one step; what is shown is judged at the step's instant."""
        if step.kind is StepKind.NBA:
            moved = replace(self, nba_title=step.title, nba_due=step.due)
            return replace(moved, shown=moved._judged(step.at))
        person = (
            NextAction(step.title, step.due, by_person=True) if step.title is not None else None
        )
        moved = replace(self, person=person)
        given = step.title is not None or step.due is not None
        if step.kind is StepKind.CREATED and given:
            # A next action given at creation is shown as given, even dated in the past.
            return replace(moved, shown=NextAction(step.title, step.due, by_person=True))
        # A person's step is judged; so is a creation without a next action, which shows the
        # NBA's when known (stats may meet a fact's customer's NBA_CHANGED before its creation).
        return replace(moved, shown=moved._judged(step.at))

    def _judged(self, as_of: datetime) -> NextAction:
        return shown_next_action(self.person, self.nba_title, self.nba_due, as_of)


def folded(state: NextActionState, steps: Iterable[NextActionStep]) -> NextActionState:
    """The state after `steps` in the order the topic holds them."""
    for step in steps:
        state = state.after(step)
    return state


def nba_step(recommendation: Recommendation, at: datetime) -> NextActionStep:
    """NBA_CHANGED's step: the recommendation's title and due_at, none for action `none`."""
    if recommendation.action == "none":
        return NextActionStep(StepKind.NBA, None, None, at)
    return NextActionStep(StepKind.NBA, recommendation.title, recommendation.due_at, at)
