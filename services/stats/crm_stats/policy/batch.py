"""What one consumed batch changes, folded from its events in arrival order (pure): the
log's rows, each customer's merged delta, the DMO days, the reminders' changes and the DMs
and replies of speed to lead. The repository writes them in a handful of statements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.next_action import NextActionState, NextActionStep, folded
from crm_schemas.pipeline import PipelineState
from crm_stats.policy.dmo import DayTally
from crm_stats.policy.milestones import (
    CustomerChange,
    Milestone,
    ReminderChange,
    Tally,
    customer_change,
    reminder_change,
    tally_of,
)
from crm_stats.policy.periods import local_date


@dataclass
class CustomerDelta:
    """A batch's changes to one customer, merged in arrival order."""

    earliest: dict[Milestone, datetime] = field(default_factory=dict)
    bookings: list[datetime] = field(default_factory=list)
    no_shows: list[datetime] = field(default_factory=list)
    activity: datetime | None = None
    state: PipelineState | None = None
    name: str | None = None
    next_action_steps: list[NextActionStep] = field(default_factory=list)
    deleted: bool = False

    def add(self, change: CustomerChange) -> None:
        for milestone, at in change.earliest.items():
            self.earliest[milestone] = min(self.earliest.get(milestone, at), at)
        if change.booked:
            self.bookings.append(change.booked)
        if change.no_show:
            self.no_shows.append(change.no_show)
        if change.activity and (self.activity is None or change.activity > self.activity):
            self.activity = change.activity
        if change.state is not None:
            self.state = change.state
        if change.name is not None:
            self.name = change.name
        if change.next_action is not None:
            self.next_action_steps.append(change.next_action)
        self.deleted = self.deleted or change.deleted


class LoggedEvent(NamedTuple):
    event: EventEnvelope
    tally: Tally | None


class CustomerMoment(NamedTuple):
    """A DM started or a message sent to a customer, at its instant."""

    account_id: str
    customer_id: UUID
    at: datetime


CustomerKey = tuple[str, UUID]  # account_id, customer_id


@dataclass
class BatchChanges:
    logged: list[LoggedEvent] = field(default_factory=list)
    customers: dict[CustomerKey, CustomerDelta] = field(default_factory=dict)
    days: dict[tuple[str, date], DayTally] = field(default_factory=dict)
    reminders: list[tuple[str, ReminderChange]] = field(default_factory=list)
    dms: list[CustomerMoment] = field(default_factory=list)
    replies: list[CustomerMoment] = field(default_factory=list)


def batch_changes(events: Sequence[EventEnvelope], zones: dict[str, ZoneInfo]) -> BatchChanges:
    """The runtime hands over only events it has not applied before, so additive counters
    (DMO days, bookings, no-shows) stay exact on redelivery."""
    changes = BatchChanges()
    for event in events:
        tally = tally_of(event)
        changes.logged.append(LoggedEvent(event, tally))
        if tally in (Tally.INVITES, Tally.FOLLOW_UPS):
            key = (event.account_id, local_date(event.timestamp, zones[event.account_id]))
            step = DayTally(1, 0) if tally is Tally.INVITES else DayTally(0, 1)
            changes.days[key] = changes.days.get(key, DayTally()) + step
        if (change := customer_change(event)) is not None:
            customer = (event.account_id, change.customer_id)
            changes.customers.setdefault(customer, CustomerDelta()).add(change)
        if (reminder := reminder_change(event)) is not None:
            changes.reminders.append((event.account_id, reminder))
        if event.customer_id is not None and event.event_name is EventName.DM_STARTED:
            changes.dms.append(CustomerMoment(event.account_id, event.customer_id, event.timestamp))
        if event.customer_id is not None and event.event_name is EventName.MESSAGE_SENT:
            moment = CustomerMoment(event.account_id, event.customer_id, event.timestamp)
            changes.replies.append(moment)
    return changes


def next_actions_after(
    deltas: Mapping[CustomerKey, CustomerDelta], stored: Mapping[CustomerKey, NextActionState]
) -> dict[CustomerKey, NextActionState]:
    """The next action of each customer the batch has steps for: the steps folded in arrival
    order over the stored choices, by the rule the customers service shows the card by."""
    return {
        key: folded(stored.get(key, NextActionState()), delta.next_action_steps)
        for key, delta in deltas.items()
        if delta.next_action_steps
    }
