"""Continuing a stored fold with later events gives what folding the whole history gives.

The consumer keeps each customer's fold beside the projection and continues it with a
batch's events (`fold_more`); it folds the whole journal again only when `fold_more` says
the batch cannot continue it. These properties check both halves of that promise: whatever
history and batch split, a continued fold equals the full one, and the usual traffic (facts
in time order, then the reminder changes and STATUS_CHANGED that other services stamp with
their cause's earlier time) does continue.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from crm_nba.policy.projection import Fold, fold, fold_more, project, projection_of
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import PipelineState, Status

from .history import H, History, T

FACTS = [
    "DM_STARTED", "MESSAGE_RECEIVED", "MESSAGE_SENT", "INVITE_SENT", "LEAD_QUALIFIED",
    "MEETING_BOOKED", "MEETING_HELD", "NO_SHOW", "MEETING_CANCELED", "VIDEO_SENT",
    "FOLLOW_UP_DONE", "PURCHASED", "JOINED_TEAM", "UNSUBSCRIBED",
]  # fmt: skip
PROPERTIES: dict[str, dict[str, Any]] = {
    "MESSAGE_RECEIVED": {"channel": "ig"},
    "MESSAGE_SENT": {"channel": "ig"},
    "PURCHASED": {"amount": 10, "currency": "NOK", "product_ids": ["p1"]},
}
REMINDER_CHANGES = ["REMINDER_CREATED", "REMINDER_RESCHEDULED", "REMINDER_COMPLETED"]

step = st.one_of(
    st.tuples(st.just("fact"), st.sampled_from(FACTS), st.integers(0, 400)),
    # 0-3: reminder n stamped with the last fact's time; 4 and up: reminder n % 4 stamped at
    # hour n - 4 (a cause the customer's projection does not hold, e.g. a person's action).
    st.tuples(st.just("reminder"), st.sampled_from(REMINDER_CHANGES), st.integers(0, 100)),
    st.tuples(st.just("created"), st.just(""), st.integers(0, 400)),
    st.tuples(st.just("move"), st.just(""), st.integers(0, 400)),
    st.tuples(st.just("status_changed"), st.just(""), st.integers(0, 400)),
    st.tuples(st.just("opt_in"), st.just(""), st.integers(0, 400)),
)


def history_of(steps: list[tuple[str, str, int]]) -> list[EventEnvelope]:
    """Events in arrival order; a reminder change is stamped with the time of the fact
    before it (its cause), as rules does, so it often sorts before facts already seen."""
    h = History(customer=uuid.UUID(int=7))
    reminders = [uuid.UUID(int=100 + n) for n in range(4)]
    cause_at = T
    for kind, name, n in steps:
        at = T + n * H
        if kind == "fact":
            props = dict(PROPERTIES.get(name, {}))
            if name == "MEETING_BOOKED":
                props = {"booking_time": (at + timedelta(days=1)).isoformat()}
            h.add(name, at, props)
            cause_at = at
        elif kind == "reminder":
            stamp = cause_at if n < 4 else T + (n - 4) * H
            h.reminder(name, stamp, reminders[n % 4], "custom", stamp + (n + 1) * H)
        elif kind == "created":
            h.created(at, PipelineState(status=Status.INVITED))
        elif kind == "move":
            h.person_move(at, PipelineState(), PipelineState(status=Status.FOLLOW_UP))
        elif kind == "status_changed":  # the customers service's, stamped with its cause's time
            status_changed_by_a_fact(h, cause_at)
        else:
            h.add(
                "MESSAGE_RECEIVED", at, PROPERTIES["MESSAGE_RECEIVED"], consent={"messaging": True}
            )
    return h.events


def status_changed_by_a_fact(h: History, at: datetime) -> None:
    props = {
        "from": PipelineState().model_dump(mode="json"),
        "to": PipelineState(status=Status.RELATIONSHIP).model_dump(mode="json"),
        "cause_event_id": f"fact-{len(h.events)}",
        "cause_event_name": "DM_STARTED",
        "actor": "event",
    }
    h.add("STATUS_CHANGED", at, props, source="system")


def in_batches(events: list[EventEnvelope], cuts: list[int]) -> list[list[EventEnvelope]]:
    edges = sorted({0, len(events), *(c % (len(events) + 1) for c in cuts)})
    return [events[a:b] for a, b in itertools.pairwise(edges)]


def continued(events: list[EventEnvelope], cuts: list[int]) -> tuple[Fold, int]:
    """The fold the consumer keeps, batch after batch, and how many batches re-folded."""
    customer = uuid.UUID(int=7)
    batches = in_batches(events, cuts)
    kept, refolds, seen = (
        fold(customer, batches[0] if batches else []),
        0,
        len(batches[0]) if batches else 0,
    )
    for batch in batches[1:]:
        seen += len(batch)
        more = fold_more(kept, batch)
        if more is None:
            refolds += 1
            more = fold(customer, events[:seen])
        kept = more
    return kept, refolds


@settings(max_examples=400, deadline=None)
@given(st.lists(step, max_size=25), st.lists(st.integers(0, 30), max_size=6))
# A reminder stamped before everything folded so far dates the customer's first event.
@example([("move", "", 9), ("reminder", "REMINDER_CREATED", 6)], [1])
def test_a_continued_fold_equals_the_full_fold(
    steps: list[tuple[str, str, int]], cuts: list[int]
) -> None:
    events = history_of(steps)
    kept, _ = continued(events, cuts)
    whole = fold(uuid.UUID(int=7), events)
    assert kept == whole
    assert projection_of(kept) == project(uuid.UUID(int=7), events)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(FACTS), st.booleans()), min_size=1, max_size=25),
    st.lists(st.integers(0, 30), max_size=6),
)
def test_facts_in_time_order_with_their_consequences_never_refold(
    facts: list[tuple[str, bool]], cuts: list[int]
) -> None:
    steps: list[tuple[str, str, int]] = [("created", "", 0)]
    for n, (name, with_reminder) in enumerate(facts, start=1):
        steps.append(("fact", name, n))
        steps.append(("status_changed", "", 0))
        if with_reminder:
            steps.append(("reminder", "REMINDER_CREATED", n % 4))
    events = history_of(steps)
    kept, refolds = continued(events, cuts)
    assert refolds == 0
    assert kept == fold(uuid.UUID(int=7), events)


def test_a_late_fact_or_a_first_creation_asks_for_a_refold() -> None:
    h = History()
    h.add("DM_STARTED", T + 2 * H)
    folded = fold(h.customer, h.events)
    late = History(customer=h.customer)
    assert fold_more(folded, [late.add("INVITE_SENT", T + H, event_id="late")]) is None
    assert fold_more(folded, [late.created(T + 3 * H)]) is None
    assert fold_more(folded, [h.events[0]]) is None  # seen already
    on_time = fold_more(folded, [late.add("INVITE_SENT", T + 3 * H, event_id="on-time")])
    assert on_time is not None
    assert on_time.state.status is Status.INVITED
