"""What one event tells the dashboard: its tally, the customer's milestones, a reminder.

Milestones are earliest instants (merged with min), activity is the latest (merged with
max), and booking/no-show instants are sets: all three give the same result whatever order
the events arrive in. Only the pipeline state and the next action's steps are taken in
arrival order, because their owners (the customers and NBA services) announce them in order
per customer; the steps are folded by the customers service's own rule (crm_schemas.next_action).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.fold import STAGE_OF_FACT, activity_time
from crm_schemas.next_action import NextActionStep, StepKind, nba_step
from crm_schemas.pipeline import PIPELINE_ORDER, PipelineState, Status
from crm_schemas.system_properties import (
    CompletedBy,
    CustomerCreated,
    CustomerUpdated,
    NbaChanged,
    ReminderEvent,
    ReminderType,
    StatusChanged,
)


class Tally(StrEnum):
    """Figures that count events in the period."""

    INVITES = "invites_sent"
    VIDEOS = "videos_sent"
    BOOKED = "meetings_booked"
    HELD = "meetings_held"
    NO_SHOWS = "no_shows"
    FOLLOW_UPS = "follow_ups_done"


_TALLY_OF: dict[EventName, Tally] = {
    EventName.INVITE_SENT: Tally.INVITES,
    EventName.VIDEO_SENT: Tally.VIDEOS,
    EventName.MEETING_BOOKED: Tally.BOOKED,
    EventName.MEETING_HELD: Tally.HELD,
    EventName.NO_SHOW: Tally.NO_SHOWS,
    EventName.FOLLOW_UP_DONE: Tally.FOLLOW_UPS,
}


def tally_of(event: EventEnvelope) -> Tally | None:
    if event.event_name is EventName.REMINDER_COMPLETED:
        # A follow-up reminder a person ticked off is a follow-up done; one completed by a
        # FOLLOW_UP_DONE is that event, already counted.
        done = ReminderEvent.model_validate(event.properties)
        is_follow_up = done.type is not ReminderType.CUSTOM
        return (
            Tally.FOLLOW_UPS if is_follow_up and done.completed_by is CompletedBy.PERSON else None
        )
    return _TALLY_OF.get(event.event_name)


class Milestone(StrEnum):
    """Earliest instants per customer (the column names of the store)."""

    CREATED = "created_at"
    COHORT = "cohort_at"  # first DM_STARTED or LEAD_QUALIFIED
    QUALIFIED = "qualified_at"  # reached qualified or a later stage
    PRESENTED = "presented_at"  # reached presentation_sent or later
    SIGNED_UP = "signed_up_at"  # reached signed_up
    FIRST_SIGNING = "first_signing_at"  # first PURCHASED or JOINED_TEAM
    BOOKED = "booked_at"  # first MEETING_BOOKED
    HELD = "held_at"  # first MEETING_HELD
    NO_SHOW = "no_show_at"  # first NO_SHOW


_THRESHOLDS = (
    (Milestone.QUALIFIED, Status.QUALIFIED),
    (Milestone.PRESENTED, Status.PRESENTATION_SENT),
    (Milestone.SIGNED_UP, Status.SIGNED_UP),
)
_FIRST_OF: dict[EventName, Milestone] = {
    EventName.MEETING_BOOKED: Milestone.BOOKED,
    EventName.MEETING_HELD: Milestone.HELD,
    EventName.NO_SHOW: Milestone.NO_SHOW,
    EventName.PURCHASED: Milestone.FIRST_SIGNING,
    EventName.JOINED_TEAM: Milestone.FIRST_SIGNING,
}


@dataclass(frozen=True)
class CustomerChange:
    """One event's effect on one customer's row."""

    customer_id: UUID
    earliest: dict[Milestone, datetime] = field(default_factory=dict)
    booked: datetime | None = None
    no_show: datetime | None = None
    activity: datetime | None = None
    state: PipelineState | None = None
    name: str | None = None
    # A step that decides next_action_date (the batch folds them over the stored choices).
    next_action: NextActionStep | None = None
    deleted: bool = False


def _stage_reached(event: EventEnvelope) -> tuple[Status, datetime] | None:
    """The stage an event shows the customer at, and since when (for the funnel)."""
    name = event.event_name
    if name is EventName.STATUS_CHANGED:
        return StatusChanged.model_validate(event.properties).to.status, event.timestamp
    if name is EventName.CUSTOMER_CREATED:
        created = CustomerCreated.model_validate(event.properties)
        return created.state.status, created.created_at
    stage = STAGE_OF_FACT.get(name)
    return (stage, event.timestamp) if stage is not None else None


def customer_change(event: EventEnvelope) -> CustomerChange | None:
    if event.customer_id is None:
        return None
    name, at = event.event_name, event.timestamp
    earliest: dict[Milestone, datetime] = {}
    change: dict[str, object] = {}
    if name in EXTERNAL_EVENTS:
        earliest[Milestone.CREATED] = at
    if name in (EventName.DM_STARTED, EventName.LEAD_QUALIFIED):
        earliest[Milestone.COHORT] = at
    if (first := _FIRST_OF.get(name)) is not None:
        earliest[first] = at
    if (reached := _stage_reached(event)) is not None:
        stage, since = reached
        if stage is not Status.NOT_NOW:
            for milestone, threshold in _THRESHOLDS:
                if PIPELINE_ORDER.index(stage) >= PIPELINE_ORDER.index(threshold):
                    earliest[milestone] = since
    if name is EventName.CUSTOMER_CREATED:
        created = CustomerCreated.model_validate(event.properties)
        earliest[Milestone.CREATED] = min(created.created_at, earliest.get(Milestone.CREATED, at))
        snapshot = created.customer
        change |= {
            "state": created.state,
            "name": snapshot.name,
            "next_action": NextActionStep(
                StepKind.CREATED, snapshot.next_action, snapshot.next_action_date, at
            ),
        }
    elif name is EventName.STATUS_CHANGED:
        change["state"] = StatusChanged.model_validate(event.properties).to
    elif name is EventName.CUSTOMER_UPDATED:
        changes = CustomerUpdated.model_validate(event.properties).changes
        if "person_next_action" in changes:  # a person's choice (the mirror's is NBA_CHANGED)
            raw = changes.get("person_next_action_date")
            due = datetime.fromisoformat(raw) if raw else None
            change["next_action"] = NextActionStep(
                StepKind.PERSON, changes["person_next_action"], due, at
            )
        if isinstance(changes.get("name"), str):
            change["name"] = changes["name"]
    elif name is EventName.NBA_CHANGED:
        recommendation = NbaChanged.model_validate(event.properties).recommendation
        change["next_action"] = nba_step(recommendation, at)
    elif name is EventName.CUSTOMER_DELETED:
        change["deleted"] = True
    return CustomerChange(
        customer_id=event.customer_id,
        earliest=earliest,
        booked=at if name is EventName.MEETING_BOOKED else None,
        no_show=at if name is EventName.NO_SHOW else None,
        activity=activity_at(event),
        **change,  # type: ignore[arg-type]
    )


def activity_at(event: EventEnvelope) -> datetime | None:
    """docs/domain.md's activity, as every service reads it (crm_schemas.fold.activity_time),
    with an event that opts the customer in counted whether or not they were opted out: the
    dashboard only asks whether anything happened in the last 7 days."""
    return activity_time(event, was_opted_out=True)


class ReminderStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class ReminderChange:
    reminder_id: UUID
    customer_id: UUID
    type: ReminderType
    scheduled_for: datetime
    status: ReminderStatus
    at: datetime  # when it was created or closed (the event's timestamp)
    completed_by: CompletedBy | None


_REMINDER_STATUS = {
    EventName.REMINDER_CREATED: ReminderStatus.OPEN,
    EventName.REMINDER_RESCHEDULED: ReminderStatus.OPEN,
    EventName.REMINDER_DUE: ReminderStatus.OPEN,
    EventName.REMINDER_COMPLETED: ReminderStatus.COMPLETED,
    EventName.REMINDER_CANCELED: ReminderStatus.CANCELED,
}


def reminder_change(event: EventEnvelope) -> ReminderChange | None:
    status = _REMINDER_STATUS.get(event.event_name)
    if status is None or event.customer_id is None:
        return None
    reminder = ReminderEvent.model_validate(event.properties)
    return ReminderChange(
        reminder_id=reminder.reminder_id,
        customer_id=event.customer_id,
        type=reminder.type,
        scheduled_for=reminder.scheduled_for,
        status=status,
        at=event.timestamp,
        completed_by=reminder.completed_by,
    )
