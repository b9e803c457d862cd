"""The pipeline fold: a customer's pipeline state from their facts in (timestamp, event_id) order.

Every service that needs a customer's stage uses this one pure function, so they agree.
Facts are the events from outside and a person's moves (STATUS_CHANGED with actor person).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_schemas.catalog import ACTIVITY_EVENTS, EXTERNAL_EVENTS, EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status, is_forward
from crm_schemas.system_properties import Actor, CustomerCreated, StatusChanged

# The stage each fact moves a customer to (never backward).
STAGE_OF_FACT: dict[EventName, Status] = {
    EventName.DM_STARTED: Status.RELATIONSHIP,
    EventName.MESSAGE_RECEIVED: Status.RELATIONSHIP,
    EventName.INVITE_SENT: Status.INVITED,
    EventName.LEAD_QUALIFIED: Status.QUALIFIED,
    EventName.MEETING_BOOKED: Status.QUALIFIED,
    EventName.MEETING_HELD: Status.PRESENTATION_SENT,
    EventName.VIDEO_SENT: Status.PRESENTATION_SENT,
    EventName.PURCHASED: Status.SIGNED_UP,
    EventName.JOINED_TEAM: Status.SIGNED_UP,
}
# Facts that take a not_now customer back into the pipeline at the stage they imply.
REOPENING_FACTS: frozenset[EventName] = frozenset(
    {
        EventName.DM_STARTED,
        EventName.MESSAGE_RECEIVED,
        EventName.LEAD_QUALIFIED,
        EventName.MEETING_BOOKED,
    }
)
SIGNING_FACTS: frozenset[EventName] = frozenset({EventName.PURCHASED, EventName.JOINED_TEAM})


class PersonMove(BaseModel):
    """The parts of the pipeline state a person changed (those that differ from → to)."""

    model_config = ConfigDict(frozen=True)

    status: Status | None = None
    booking: Booking | None = None
    joined_team: bool | None = None
    opted_out: bool | None = None

    @classmethod
    def between(cls, before: PipelineState, after: PipelineState) -> PersonMove:
        return cls(
            status=after.status if after.status != before.status else None,
            booking=after.booking if after.booking != before.booking else None,
            joined_team=after.joined_team if after.joined_team != before.joined_team else None,
            opted_out=after.opted_out if after.opted_out != before.opted_out else None,
        )


class Fact(BaseModel):
    """What the fold needs of one event."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_name: EventName
    timestamp: AwareDatetime
    booking_time: AwareDatetime | None = None
    booking_id: str | None = None
    consent_messaging: bool | None = None
    person_move: PersonMove | None = None

    @property
    def order_key(self) -> tuple[datetime, str]:
        return (self.timestamp, self.event_id)

    @classmethod
    def from_event(cls, event: EventEnvelope) -> Fact | None:
        """The fact an event carries, or None when the event does not touch the pipeline."""
        move: PersonMove | None = None
        if event.event_name is EventName.STATUS_CHANGED:
            change = StatusChanged.model_validate(event.properties)
            if change.actor is not Actor.PERSON:
                return None  # a consequence of a fact the folder sees itself
            move = PersonMove.between(change.from_, change.to)
        elif event.event_name not in EXTERNAL_EVENTS:
            return None
        props = event.properties
        return cls(
            event_id=event.event_id,
            event_name=event.event_name,
            timestamp=event.timestamp,
            booking_time=props.get("booking_time"),
            booking_id=props.get("booking_id"),
            consent_messaging=event.consent.messaging if event.consent else None,
            person_move=move,
        )


def _stage_after(state: PipelineState, name: EventName) -> Status:
    target = STAGE_OF_FACT.get(name)
    current = state.status
    if target is None:
        # FOLLOW_UP_DONE moves only a customer who has been shown the presentation.
        if name is EventName.FOLLOW_UP_DONE and current is Status.PRESENTATION_SENT:
            return Status.FOLLOW_UP
        return current
    if current is Status.NOT_NOW:
        return target if name in REOPENING_FACTS or name in SIGNING_FACTS else current
    return target if is_forward(current, target) else current


def _booking_after(booking: Booking, fact: Fact) -> Booking:
    name = fact.event_name
    booking_id = fact.booking_id or booking.booking_id
    if name is EventName.MEETING_BOOKED:
        return Booking(
            state=BookingState.BOOKED, time=fact.booking_time, booking_id=fact.booking_id
        )
    if name is EventName.MEETING_HELD:
        return Booking(state=BookingState.HELD, time=booking.time, booking_id=booking_id)
    if name is EventName.NO_SHOW:
        return Booking(state=BookingState.NO_SHOW, time=booking.time, booking_id=booking_id)
    if name is EventName.MEETING_CANCELED:
        return Booking(state=BookingState.CANCELED, time=booking.time, booking_id=booking_id)
    return booking


def _opted_out_after(state: PipelineState, fact: Fact) -> bool:
    if fact.event_name is EventName.UNSUBSCRIBED or fact.consent_messaging is False:
        return True
    if fact.consent_messaging is True:
        return False
    return state.opted_out


def apply(state: PipelineState, fact: Fact) -> PipelineState:
    """The pipeline state after one fact (docs/domain.md, 'How a customer moves')."""
    if fact.person_move is not None:
        move = fact.person_move
        return state.with_changes(
            status=move.status,
            booking=move.booking,
            joined_team=move.joined_team,
            opted_out=move.opted_out,
        )
    return PipelineState(
        status=_stage_after(state, fact.event_name),
        booking=_booking_after(state.booking, fact),
        joined_team=state.joined_team or fact.event_name is EventName.JOINED_TEAM,
        opted_out=_opted_out_after(state, fact),
    )


def fold(facts: Iterable[Fact], initial: PipelineState | None = None) -> PipelineState:
    """The state that (timestamp, event_id) order gives, whatever order the facts arrived in."""
    state = initial or PipelineState()
    for fact in sorted(facts, key=lambda f: f.order_key):
        state = apply(state, fact)
    return state


def activity_time(event: EventEnvelope, was_opted_out: bool) -> datetime | None:
    """When this event counts as the customer's activity, or None if it is not activity.

    INTERACTION_LOGGED counts at the interaction's occurred_at; a CUSTOMER_CREATED of a
    creation through the API in an open stage at its timestamp; an event that opts an
    opted-out customer back in counts as activity whatever its name.
    """
    if event.event_name is EventName.CUSTOMER_CREATED:
        created = CustomerCreated.model_validate(event.properties)
        return event.timestamp if created.is_activity else None
    if event.event_name is EventName.INTERACTION_LOGGED:
        occurred = event.properties.get("interaction", {}).get("occurred_at")
        return datetime.fromisoformat(occurred) if occurred else event.timestamp
    if event.event_name in ACTIVITY_EVENTS:
        return event.timestamp
    if was_opted_out and event.opts_in and not event.opts_out:
        return event.timestamp
    return None
