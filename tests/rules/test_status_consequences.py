"""The consumer turns down the STATUS_CHANGED that follow a fact (consumer.accepts): over any
history and any arrival order, each one, taken as before, decides nothing, and the reminders
end the same without them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_rules.consumer import accepts
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Status

from .history import FACT_NAMES, T0, H, arrive_one_by_one, fact_event, status_changed


def consequence(of: EventEnvelope) -> EventEnvelope:
    """The customers service's STATUS_CHANGED after a fact, at the fact's instant."""
    assert of.customer_id is not None
    return status_changed(
        of.timestamp,
        of.customer_id,
        Status.LEAD,
        Status.QUALIFIED,
        cause_name=of.event_name,
        person=False,
    )


def person_move(hours: int, customer: uuid.UUID) -> EventEnvelope:
    return status_changed(
        T0 + hours * H,
        customer,
        Status.QUALIFIED,
        Status.PRESENTATION_SENT,
        cause_name="x",
        person=True,
    )


@settings(max_examples=150, deadline=timedelta(seconds=2))
@given(
    facts=st.lists(
        st.tuples(st.sampled_from(FACT_NAMES), st.integers(0, 400)), min_size=1, max_size=10
    ),
    moves=st.lists(st.integers(0, 400), max_size=2),
    data=st.data(),
)
def test_a_status_change_that_follows_a_fact_changes_no_reminder(
    facts: list[tuple[str, int]], moves: list[int], data: st.DataObject
) -> None:
    customer = uuid.uuid4()
    told = [fact_event(name, T0 + hours * H, customer) for name, hours in facts]
    told += [person_move(hours, customer) for hours in moves]
    consequences = [consequence(e) for e in told if e.event_name != "STATUS_CHANGED"]
    assert not any(accepts(c) for c in consequences)
    assert all(accepts(e) for e in told)
    arrival = data.draw(st.permutations([*told, *consequences]))
    with_them, decided = arrive_one_by_one(arrival)
    without_them, _ = arrive_one_by_one([e for e in arrival if accepts(e)])
    assert with_them == without_them
    assert all(not d for e, d in zip(arrival, decided, strict=True) if not accepts(e))
