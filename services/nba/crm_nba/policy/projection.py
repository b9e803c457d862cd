"""What the NBA policy knows of one customer, built from the events the service saw.

`project` is pure: the stored projection and `POST /api/nba/analyze` with a posted
history both come from it, so they cannot disagree. Pipeline facts are folded in
(timestamp, event_id) order whatever order they arrived in, one per event id, as the shared
fact log (crm_schemas.factlog) orders them, with policy.folding's step; reminder events are
applied in arrival order, because rules emits a reminder's changes in the order they happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_nba.policy.folding import Folding
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.factlog import fold_entries
from crm_schemas.fold import Fact, activity_time
from crm_schemas.pipeline import BookingState, PipelineState, Status
from crm_schemas.system_properties import CustomerCreated, ReminderEvent, ReminderType

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

REMINDER_OPENING: frozenset[EventName] = frozenset(
    {EventName.REMINDER_CREATED, EventName.REMINDER_RESCHEDULED}
)
REMINDER_CLOSING: frozenset[EventName] = frozenset(
    {EventName.REMINDER_COMPLETED, EventName.REMINDER_CANCELED}
)

# Every event a customer's projection depends on; the consumer keeps these in the journal.
# REMINDER_DUE is a notice for people, never an input: due and overdue come from
# `scheduled_for` (docs/domain.md, 'Reminders'), so it is left out.
JOURNALED_EVENTS: frozenset[EventName] = frozenset(
    {
        EventName.DM_STARTED,
        EventName.MESSAGE_RECEIVED,
        EventName.MESSAGE_SENT,
        EventName.INVITE_SENT,
        EventName.LEAD_QUALIFIED,
        EventName.MEETING_BOOKED,
        EventName.MEETING_HELD,
        EventName.NO_SHOW,
        EventName.MEETING_CANCELED,
        EventName.VIDEO_SENT,
        EventName.FOLLOW_UP_DONE,
        EventName.PURCHASED,
        EventName.JOINED_TEAM,
        EventName.UNSUBSCRIBED,
        EventName.CUSTOMER_CREATED,
        EventName.CUSTOMER_DELETED,
        EventName.STATUS_CHANGED,
        EventName.INTERACTION_LOGGED,
    }
    | REMINDER_OPENING
    | REMINDER_CLOSING
)


class OpenReminder(BaseModel):
    model_config = ConfigDict(frozen=True)

    reminder_id: UUID
    type: ReminderType
    scheduled_for: AwareDatetime


class _CustomerFacts(BaseModel):
    """What a projection and a fold both hold about one customer, with the same meaning."""

    model_config = ConfigDict(frozen=True)

    customer_id: UUID
    state: PipelineState = PipelineState()
    created_at: AwareDatetime | None = None
    # When the customer entered their current status (the fact's or the person's move's time).
    stage_entered_at: AwareDatetime | None = None
    last_activity_at: AwareDatetime | None = None
    last_video_at: AwareDatetime | None = None
    last_follow_up_done_at: AwareDatetime | None = None
    deleted: bool = False


class Projection(_CustomerFacts):
    """The facts the policy reads about one customer."""

    # When the current booking became a no-show.
    no_show_at: AwareDatetime | None = None
    # Soonest first, of equals the lowest reminder_id first: the policy finds the oldest
    # and the overdue ones by position.
    open_reminders: tuple[OpenReminder, ...] = ()


class Fold(_CustomerFacts):
    """Where folding a customer's events stands: the projection's inputs plus what a later
    event needs to continue from here (the reminders closed for good, the latest key folded).

    Stored with the projection, so a batch of events later than everything folded costs
    only its own events, not a read and re-fold of the customer's whole journal.
    """

    created: bool = False  # a CUSTOMER_CREATED gave the starting state
    # When the booking last became a no-show, kept even after it moved on (the projection
    # shows it only while the booking is a no-show).
    no_show_at: AwareDatetime | None = None
    open_reminders: tuple[OpenReminder, ...] = ()  # in the order they were first opened
    closed_reminders: tuple[UUID, ...] = ()
    last: tuple[AwareDatetime, str] | None = None  # (timestamp, event_id) of the latest event


def project(customer_id: UUID, events: Sequence[EventEnvelope]) -> Projection:
    """The projection of a customer's events; `events` are in the order they arrived."""
    return projection_of(fold(customer_id, events))


def fold(customer_id: UUID, events: Sequence[EventEnvelope]) -> Fold:
    """All of a customer's events, in the order they arrived, folded from the start."""
    created = _creation(events)
    state = created.state if created else PipelineState()
    created_at = created.created_at if created else None
    start = Fold(
        customer_id=customer_id,
        created=created is not None,
        state=state,
        created_at=created_at,
        stage_entered_at=created_at,
        no_show_at=_imported_no_show(state, created_at),
    )
    return _continued(start, events)


def fold_more(folded: Fold, events: Sequence[EventEnvelope]) -> Fold | None:
    """`folded` continued by more events, or None when they cannot simply continue it and
    the whole history must be folded again: an event sorts at or before the latest folded
    (late, or seen already) where its place matters, or a first CUSTOMER_CREATED changes
    the starting state."""
    if not events:
        return folded
    if not folded.created and any(e.event_name is EventName.CUSTOMER_CREATED for e in events):
        return None
    last = folded.last
    # At the latest key is a late event too: the same event again.
    if last is not None and any(e.order_key <= last and _place_matters(folded, e) for e in events):
        return None
    return _continued(folded, events)


def _place_matters(folded: Fold, event: EventEnvelope) -> bool:
    """Whether an event's place in the (timestamp, event_id) order can change the fold.

    Only facts and activity depend on it; anything else there only dates the customer's
    first event (created_at) when nothing earlier did. Reminder changes (applied in arrival
    order anyway) and the customers service's STATUS_CHANGED are stamped with their cause's
    time, so they often sort before events folded already, and that must not cost a re-fold.
    """
    if Fact.from_event(event) is not None:
        return True
    if activity_time(event, was_opted_out=True) is not None:
        return True
    return not folded.created and (folded.created_at is None or event.timestamp < folded.created_at)


def _continued(folded: Fold, events: Sequence[EventEnvelope]) -> Fold:
    """Facts in (timestamp, event_id) order, one per event id; reminder changes in arrival
    order."""
    facts = fold_entries(
        Folding.then,
        Folding(
            state=folded.state,
            created_at=folded.created_at,
            stage_entered_at=folded.stage_entered_at,
            no_show_at=folded.no_show_at,
            last_activity_at=folded.last_activity_at,
            last_video_at=folded.last_video_at,
            last_follow_up_done_at=folded.last_follow_up_done_at,
        ),
        events,
    )
    opened, closed = _reminders_after(folded, events)
    last = folded.last
    if events:
        newest = max(e.order_key for e in events)
        last = newest if last is None else max(last, newest)
    return Fold(
        customer_id=folded.customer_id,
        created=folded.created,
        state=facts.state,
        created_at=facts.created_at,
        stage_entered_at=facts.stage_entered_at,
        last_activity_at=facts.last_activity_at,
        last_video_at=facts.last_video_at,
        last_follow_up_done_at=facts.last_follow_up_done_at,
        no_show_at=facts.no_show_at,
        open_reminders=opened,
        closed_reminders=closed,
        deleted=folded.deleted or any(e.event_name is EventName.CUSTOMER_DELETED for e in events),
        last=last,
    )


def _reminders_after(
    folded: Fold, events: Iterable[EventEnvelope]
) -> tuple[tuple[OpenReminder, ...], tuple[UUID, ...]]:
    """The reminders open and closed after the REMINDER_* events, in arrival order.

    A completed or canceled reminder stays closed even if an older change of it
    arrives later (a redelivery), so closing is final.
    """
    found = {r.reminder_id: r for r in folded.open_reminders}
    closed = dict.fromkeys(folded.closed_reminders)
    for event in events:
        if event.event_name not in REMINDER_OPENING | REMINDER_CLOSING:
            continue
        reminder = ReminderEvent.model_validate(event.properties)
        if event.event_name in REMINDER_CLOSING:
            closed[reminder.reminder_id] = None
            found.pop(reminder.reminder_id, None)
        elif reminder.reminder_id not in closed:
            found[reminder.reminder_id] = OpenReminder(
                reminder_id=reminder.reminder_id,
                type=reminder.type,
                scheduled_for=reminder.scheduled_for,
            )
    return tuple(found.values()), tuple(closed)


def projection_of(folded: Fold) -> Projection:
    no_show = folded.state.booking.state is BookingState.NO_SHOW
    shared = {name: getattr(folded, name) for name in _CustomerFacts.model_fields}
    return Projection(
        **shared,
        no_show_at=folded.no_show_at if no_show else None,
        open_reminders=tuple(sorted(folded.open_reminders, key=_soonest_first)),
    )


def _soonest_first(reminder: OpenReminder) -> tuple[int, UUID]:
    # Whole microseconds since the epoch order as the instants do, and compare many times
    # faster than parsed aware datetimes, each with a time zone object of its own. A UUID
    # orders as its text does.
    return (reminder.scheduled_for - _EPOCH) // _MICROSECOND, reminder.reminder_id


def _creation(events: Sequence[EventEnvelope]) -> CustomerCreated | None:
    for event in events:
        if event.event_name is EventName.CUSTOMER_CREATED:
            return CustomerCreated.model_validate(event.properties)
    return None


def _imported_no_show(state: PipelineState, created_at: datetime | None) -> datetime | None:
    # An import that records a no-show carries no NO_SHOW event; its booking time, else the
    # creation, is the best instant known for it.
    if state.booking.state is not BookingState.NO_SHOW:
        return None
    return state.booking.time or created_at


def signed_up_at(projection: Projection) -> datetime | None:
    """When a signed-up customer signed up (their entry into signed_up)."""
    if projection.state.status is not Status.SIGNED_UP:
        return None
    return projection.stage_entered_at
