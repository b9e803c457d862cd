"""A person's requests decided without I/O (customers/policy/changes.py): what they change,
the entries they add and the events that announce them, and re-folding a late entry."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from crm_customers.customers.policy import changes
from crm_customers.customers.policy.changes import ByPerson
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.history import Entry, StoredHistory, refolded, replay
from crm_customers.customers.schemas import BookingIn, CustomerPatch, NextStageIn
from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.causes import Command
from crm_schemas.pipeline import BookingState, Status

from .events import T, fact_event

H = timedelta(hours=1)
CUSTOMER = uuid.uuid4()


def person(at: timedelta = H) -> ByPerson:
    command = Command(account_id="acme", actor_id="marketer-1", at=T + at)
    return ByPerson(command.cause("PUT /x", EventName.STATUS_CHANGED), "acme", "NO")


def stored(*names: EventName) -> tuple[Customer, StoredHistory]:
    entries = [
        e
        for minutes, name in enumerate(names)
        if (e := Entry.of(fact_event(name, timedelta(minutes=minutes), customer=CUSTOMER)))
    ]
    history = replay(entries)
    customer = Customer(
        account_id="acme", id=CUSTOMER, name="Kari", history=history, created_at=T, updated_at=T
    )
    return customer, StoredHistory(history)


def test_writing_back_what_was_read_changes_nothing() -> None:
    customer, history = stored(EventName.DM_STARTED)
    change = changes.updated(customer, history, person(), CustomerPatch(name="Kari"), None)
    assert (change.customer, change.entries, change.events, change.identities) == (
        customer,
        (),
        (),
        {},
    )


def test_a_move_is_one_entry_and_one_status_changed_caused_by_the_request() -> None:
    customer, history = stored(EventName.DM_STARTED)
    who = person()
    change = changes.updated(customer, history, who, CustomerPatch(status="not_now"), None)
    assert change.customer.state.status is Status.NOT_NOW
    (event,) = change.events
    assert event.event_name is EventName.STATUS_CHANGED
    assert event.properties["cause_event_id"] == who.cause.event_id
    assert event.properties["cause_event_name"] == "STATUS_CHANGED"
    assert [e.event_id for e in change.entries] == [event.event_id]
    assert change.customer.updated_at == T + H


def test_a_booking_put_is_the_booking_fact_and_the_move_it_causes() -> None:
    customer, history = stored(EventName.LEAD_QUALIFIED)
    booking = BookingIn(state="booked", time=T + 24 * H)
    change = changes.updated(customer, history, person(), CustomerPatch(booking=booking), None)
    fact, moved = change.events
    assert fact.event_name is EventName.MEETING_BOOKED
    assert fact.source.value == "manual"
    assert moved.properties["cause_event_id"] == fact.event_id
    assert moved.properties["actor"] == "event"
    assert change.customer.state.booking.state is BookingState.BOOKED
    assert [e.event_id for e in change.entries] == [fact.event_id]


def test_new_identities_are_claimed_and_a_prospect_why_opens_qualified() -> None:
    customer, history = stored(EventName.DM_STARTED, EventName.INVITE_SENT)
    change = changes.updated(
        customer, history, person(), CustomerPatch(email="kari@example.no"), None
    )
    assert change.identities == {"email": "kari@example.no"}
    body = NextStageIn(prospect_why="wants freedom")
    moved = changes.moved_to_next_stage(customer, history, person(), body, None)
    assert moved.customer.state.status is Status.QUALIFIED
    assert [e.event_name for e in moved.events] == [
        EventName.CUSTOMER_UPDATED,
        EventName.STATUS_CHANGED,
    ]


FACTS = sorted(EXTERNAL_EVENTS - {EventName.CUSTOMER_CREATED}, key=lambda n: n.value)


@given(
    st.lists(st.sampled_from(FACTS), max_size=8),
    st.lists(st.sampled_from(FACTS), min_size=1, max_size=4),
)
def test_folding_on_top_of_the_row_is_the_full_replay_when_nothing_stored_is_later(
    earlier: list[EventName], new: list[EventName]
) -> None:
    """Without stored entries at or after the request time, the row's history is enough."""
    old = [
        Entry.of(fact_event(n, timedelta(minutes=i), customer=CUSTOMER))
        for i, n in enumerate(earlier)
    ]
    added = [Entry.of(fact_event(n, H, customer=CUSTOMER)) for n in new]
    old_entries = [e for e in old if e is not None]
    new_entries = [e for e in added if e is not None]
    history = replay(old_entries)
    assert refolded(StoredHistory(history), new_entries) == replay([*old_entries, *new_entries])
    assert refolded(StoredHistory(history, tuple(old_entries)), new_entries) == replay(
        [*old_entries, *new_entries]
    )
