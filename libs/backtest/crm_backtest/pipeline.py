"""The pipeline state as docs/domain.md defines it, folded afresh from a customer's facts in
(timestamp, event_id) order. Written from the page, not from the services' code."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from crm_backtest.history import API_CREATION, PERSON_MOVE, Fact

STAGES = (
    "lead",
    "relationship",
    "invited",
    "qualified",
    "presentation_sent",
    "follow_up",
    "signed_up",
)
OPEN_STAGES = frozenset(STAGES[:6])
RANK = {stage: i for i, stage in enumerate(STAGES)}

# The stage a fact implies (forward only); FOLLOW_UP_DONE is special-cased below.
IMPLIED = {
    "DM_STARTED": "relationship",
    "MESSAGE_RECEIVED": "relationship",
    "INVITE_SENT": "invited",
    "LEAD_QUALIFIED": "qualified",
    "MEETING_BOOKED": "qualified",
    "MEETING_HELD": "presentation_sent",
    "VIDEO_SENT": "presentation_sent",
    "PURCHASED": "signed_up",
    "JOINED_TEAM": "signed_up",
}
# What re-opens a not_now customer, at the stage the event implies.
REOPENING = frozenset({"DM_STARTED", "MESSAGE_RECEIVED", "LEAD_QUALIFIED", "MEETING_BOOKED"})
ACTIVITY = frozenset(
    {
        "DM_STARTED",
        "MESSAGE_RECEIVED",
        "MESSAGE_SENT",
        "INVITE_SENT",
        "LEAD_QUALIFIED",
        "MEETING_BOOKED",
        "MEETING_HELD",
        "NO_SHOW",
        "VIDEO_SENT",
        "FOLLOW_UP_DONE",
        "PURCHASED",
        "JOINED_TEAM",
    }
)


@dataclass(frozen=True)
class Pipeline:
    status: str = "lead"
    booking: str = "none"
    joined_team: bool = False
    opted_out: bool = False


def sorted_facts(facts: list[Fact]) -> list[Fact]:
    """Timestamp order, each event_id once (a repeat is the same fact: one effect)."""
    unique = {fact.event_id: fact for fact in reversed(facts)}
    return sorted(unique.values(), key=lambda fact: (fact.at, fact.event_id))


def _moved(status: str, name: str) -> str:
    if name == "FOLLOW_UP_DONE":
        return "follow_up" if status == "presentation_sent" else status
    target = IMPLIED.get(name)
    if target is None:
        return status
    if status == "not_now":
        return target if name in REOPENING or target == "signed_up" else status
    return target if RANK[target] > RANK[status] else status


def apply(state: Pipeline | None, fact: Fact) -> Pipeline:
    """One fact on the state; `None` is a customer the system has not seen yet."""
    if fact.name in (PERSON_MOVE, API_CREATION) and fact.to_status is not None:
        return replace(state or Pipeline(), status=fact.to_status)
    current = state or Pipeline()
    status = _moved(current.status, fact.name)
    booking = {
        "MEETING_BOOKED": "booked",
        "MEETING_HELD": "held",
        "NO_SHOW": "no_show",
        "MEETING_CANCELED": "canceled",
    }.get(fact.name, current.booking)
    opted_out = current.opted_out
    if fact.name == "UNSUBSCRIBED" or fact.consent_messaging is False:
        opted_out = True
    elif fact.consent_messaging is True:
        opted_out = False
    return Pipeline(
        status=status,
        booking=booking,
        joined_team=current.joined_team or fact.name == "JOINED_TEAM",
        opted_out=opted_out,
    )


def is_activity(before: Pipeline | None, after: Pipeline, fact: Fact) -> bool:
    """docs/domain.md's activity list, plus the event that opts a customer back in and a
    creation through the API in an open stage."""
    opted_in = before is not None and before.opted_out and not after.opted_out
    created_open = fact.name == API_CREATION and after.status in OPEN_STAGES
    return fact.name in ACTIVITY or opted_in or created_open


@dataclass(frozen=True)
class Step:
    """A fact with the state just before and just after it."""

    fact: Fact
    before: Pipeline | None
    after: Pipeline


def fold(facts: list[Fact]) -> list[Step]:
    steps = []
    state: Pipeline | None = None
    for fact in sorted_facts(facts):
        after = apply(state, fact)
        steps.append(Step(fact, state, after))
        state = after
    return steps


def entered_at(steps: list[Step], status: str) -> datetime | None:
    """When the customer last entered `status` (None if never)."""
    entered = None
    for step in steps:
        before = step.before.status if step.before else None
        if step.after.status == status and before != status:
            entered = step.fact.at
    return entered
