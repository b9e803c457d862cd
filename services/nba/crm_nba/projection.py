"""What the NBA policy knows of one customer, built from the events the service saw.

`project` is pure: the stored projection and `POST /api/nba/analyze` with a posted
history both come from it, so they cannot disagree. Pipeline facts are folded in
(timestamp, event_id) order whatever order they arrived in; reminder events are applied
in arrival order, because rules emits a reminder's changes in the order they happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.fold import Fact, activity_time, apply
from crm_schemas.pipeline import BookingState, PipelineState, Status
from crm_schemas.system_properties import CustomerCreated, ReminderEvent, ReminderType

E = EventName

REMINDER_OPENING: frozenset[EventName] = frozenset({E.REMINDER_CREATED, E.REMINDER_RESCHEDULED})
REMINDER_CLOSING: frozenset[EventName] = frozenset({E.REMINDER_COMPLETED, E.REMINDER_CANCELED})

# Every event a customer's projection depends on; the consumer keeps these in the journal.
# REMINDER_DUE is a notification for people, never an input (DOMAIN.md), so it is left out.
JOURNALED_EVENTS: frozenset[EventName] = frozenset(
    {
        E.DM_STARTED,
        E.MESSAGE_RECEIVED,
        E.MESSAGE_SENT,
        E.INVITE_SENT,
        E.LEAD_QUALIFIED,
        E.MEETING_BOOKED,
        E.MEETING_HELD,
        E.NO_SHOW,
        E.MEETING_CANCELED,
        E.VIDEO_SENT,
        E.FOLLOW_UP_DONE,
        E.PURCHASED,
        E.JOINED_TEAM,
        E.UNSUBSCRIBED,
        E.CUSTOMER_CREATED,
        E.CUSTOMER_DELETED,
        E.STATUS_CHANGED,
        E.INTERACTION_LOGGED,
    }
    | REMINDER_OPENING
    | REMINDER_CLOSING
)


class OpenReminder(BaseModel):
    model_config = ConfigDict(frozen=True)

    reminder_id: UUID
    type: ReminderType
    scheduled_for: AwareDatetime


class Projection(BaseModel):
    """The facts the policy reads about one customer."""

    model_config = ConfigDict(frozen=True)

    customer_id: UUID
    state: PipelineState = PipelineState()
    created_at: AwareDatetime | None = None
    # When the customer entered their current status (the fact's or the person's move's time).
    stage_entered_at: AwareDatetime | None = None
    last_activity_at: AwareDatetime | None = None
    last_video_at: AwareDatetime | None = None
    last_follow_up_done_at: AwareDatetime | None = None
    # When the current booking became a no-show.
    no_show_at: AwareDatetime | None = None
    open_reminders: tuple[OpenReminder, ...] = ()
    deleted: bool = False


def project(customer_id: UUID, events: Sequence[EventEnvelope]) -> Projection:
    """The projection of a customer's events; `events` are in the order they arrived."""
    created = _creation(events)
    state = created.state if created else PipelineState()
    created_at: datetime | None = created.created_at if created else None
    stage_entered_at = created_at
    no_show_at = _imported_no_show(state, created_at)
    last_activity: datetime | None = None
    last_video: datetime | None = None
    last_follow_up: datetime | None = None
    for event in sorted(events, key=lambda e: (e.timestamp, e.event_id)):
        created_at = created_at or event.timestamp
        stage_entered_at = stage_entered_at or event.timestamp
        was_opted_out = state.opted_out
        fact = Fact.from_event(event)
        if fact is not None:
            after = apply(state, fact)
            if after.status is not state.status:
                stage_entered_at = fact.timestamp
            if after.booking.state is BookingState.NO_SHOW and after.booking != state.booking:
                no_show_at = fact.timestamp
            state = after
        if (at := activity_time(event, was_opted_out)) is not None:
            last_activity = _later(last_activity, at)
        if event.event_name is E.VIDEO_SENT:
            last_video = _later(last_video, event.timestamp)
        if event.event_name is E.FOLLOW_UP_DONE:
            last_follow_up = _later(last_follow_up, event.timestamp)
    return Projection(
        customer_id=customer_id,
        state=state,
        created_at=created_at,
        stage_entered_at=stage_entered_at,
        last_activity_at=last_activity,
        last_video_at=last_video,
        last_follow_up_done_at=last_follow_up,
        no_show_at=no_show_at if state.booking.state is BookingState.NO_SHOW else None,
        open_reminders=open_reminders(events),
        deleted=any(e.event_name is E.CUSTOMER_DELETED for e in events),
    )


def open_reminders(events: Iterable[EventEnvelope]) -> tuple[OpenReminder, ...]:
    """Reminders still open after the REMINDER_* events, soonest first.

    A completed or canceled reminder stays closed even if an older change of it
    arrives later (a redelivery), so closing is final.
    """
    found: dict[UUID, OpenReminder] = {}
    closed: set[UUID] = set()
    for event in events:
        if event.event_name not in REMINDER_OPENING | REMINDER_CLOSING:
            continue
        reminder = ReminderEvent.model_validate(event.properties)
        if event.event_name in REMINDER_CLOSING:
            closed.add(reminder.reminder_id)
            found.pop(reminder.reminder_id, None)
        elif reminder.reminder_id not in closed:
            found[reminder.reminder_id] = OpenReminder(
                reminder_id=reminder.reminder_id,
                type=reminder.type,
                scheduled_for=reminder.scheduled_for,
            )
    return tuple(sorted(found.values(), key=lambda r: (r.scheduled_for, str(r.reminder_id))))


def _creation(events: Sequence[EventEnvelope]) -> CustomerCreated | None:
    for event in events:
        if event.event_name is E.CUSTOMER_CREATED:
            return CustomerCreated.model_validate(event.properties)
    return None


def _imported_no_show(state: PipelineState, created_at: datetime | None) -> datetime | None:
    # An import that records a no-show carries no NO_SHOW event; its booking time, else the
    # creation, is the best instant known for it.
    if state.booking.state is not BookingState.NO_SHOW:
        return None
    return state.booking.time or created_at


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def signed_up_at(projection: Projection) -> datetime | None:
    """When a signed-up customer signed up (their entry into signed_up)."""
    if projection.state.status is not Status.SIGNED_UP:
        return None
    return projection.stage_entered_at
