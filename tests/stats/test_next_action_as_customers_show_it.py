"""Stats' next_action_date is the card's: the customers service no longer announces a change
of the mirrored NBA, so stats folds the same rule over the events that carry it (a person's
CUSTOMER_CREATED/UPDATED and NBA_CHANGED), whatever batches they arrive in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_customers.customers.policy import changes
from crm_customers.customers.policy.changes import ByPerson
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.facts import nba_mirrored
from crm_customers.customers.policy.history import StoredHistory
from crm_customers.customers.schemas import CustomerIn, CustomerPatch
from crm_schemas.catalog import EventName
from crm_schemas.causes import Command
from crm_schemas.envelope import EventEnvelope
from crm_schemas.next_action import NextActionState
from crm_schemas.system_properties import NbaChanged
from crm_stats.policy.batch import CustomerKey, batch_changes, next_actions_after

from .scripted_week import nba_changed

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
ANNOUNCED = (EventName.CUSTOMER_CREATED, EventName.CUSTOMER_UPDATED)


@dataclass(frozen=True)
class Step:
    """A person's choice (`by_person`) or the NBA's recommendation, `hour` hours after T."""

    by_person: bool
    title: str | None
    due_in: int | None  # hours after the step, negative for a date already passed
    hour: int


def person(at: datetime, key: str) -> ByPerson:
    command = Command(account_id="acme", actor_id="marketer-1", at=at, idempotency_key=key)
    return ByPerson(command.cause("PUT /api/customers", EventName.CUSTOMER_UPDATED), "acme", "NO")


def as_customers_show_it(
    created_with: Step, steps: Sequence[Step]
) -> tuple[Customer, list[EventEnvelope]]:
    """The card after the steps, and every event on the topic that stats reads."""
    due = None if created_with.due_in is None else T + created_with.due_in * H
    body = CustomerIn(name="Kari", next_action=created_with.title, next_action_date=due)
    made = changes.created(person(T, "create"), body, None)
    customer, topic = made.customer, [e for e in made.events if e.event_name in ANNOUNCED]
    for n, step in enumerate(steps):
        at = T + step.hour * H
        due = None if step.due_in is None else at + step.due_in * H
        if step.by_person:
            patch = CustomerPatch(next_action=step.title, next_action_date=due)
            change = changes.updated(
                customer, StoredHistory(customer.history), person(at, f"put-{n}"), patch, None
            )
            customer = change.customer
            topic += [e for e in change.events if e.event_name in ANNOUNCED]
        else:
            action = "none" if step.title is None else "follow_up"
            event = nba_changed(customer.id, at, due, action).model_copy(
                update={"account_id": "acme", "event_id": f"nba-{n}"}
            )
            recommendation = NbaChanged.model_validate(event.properties).recommendation
            customer = nba_mirrored(customer, recommendation, at).customer
            topic.append(event)
    return customer, topic


def as_stats_counts_it(topic: Sequence[EventEnvelope], cuts: Sequence[int]) -> datetime | None:
    """next_action_date as the store keeps it, the topic read in batches cut at `cuts`; only
    the choices the store keeps are carried from one batch to the next."""
    stored: dict[CustomerKey, NextActionState] = {}
    shown: datetime | None = None
    bounds = [0, *sorted(set(cuts)), len(topic)]
    for start, end in pairwise(bounds):
        deltas = batch_changes(topic[start:end], {}).customers
        for key, state in next_actions_after(deltas, stored).items():
            stored[key] = NextActionState(person=state.person, nba_due=state.nba_due)
            shown = state.shown.due
    return shown


hours = st.integers(-30, 30)
choices = st.builds(
    Step,
    by_person=st.booleans(),
    title=st.one_of(st.none(), st.sampled_from(["Call", "Rebook"])),
    due_in=st.one_of(st.none(), hours),
    hour=st.integers(0, 72),
)


@settings(max_examples=300, deadline=None)
@given(
    created_with=st.builds(
        Step,
        by_person=st.just(True),
        title=st.one_of(st.none(), st.just("Call")),
        due_in=st.one_of(st.none(), hours),
        hour=st.just(0),
    ),
    steps=st.lists(choices, max_size=10).map(lambda s: sorted(s, key=lambda c: c.hour)),
    cuts=st.lists(st.integers(0, 25), max_size=4),
)
def test_stats_derives_the_card_s_next_action_date_from_the_same_events(
    created_with: Step, steps: list[Step], cuts: list[int]
) -> None:
    customer, topic = as_customers_show_it(created_with, steps)
    # Only a person's changes are announced by customers; the NBA's travel in NBA_CHANGED.
    updates = [e for e in topic if e.event_name is EventName.CUSTOMER_UPDATED]
    assert all("person_next_action" in e.properties["changes"] for e in updates)
    assert as_stats_counts_it(topic, cuts) == customer.next_action_date
