"""The step of a customer's fold in NBA: what one event changes of the facts NBA keeps.

The shared fact log (crm_schemas.factlog) decides the order and when to fold from the
start; this decides what each event does, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.fold import Fact, activity_time, apply
from crm_schemas.pipeline import BookingState, PipelineState


@dataclass
class Folding:
    """A fold's facts while its events are folded in. `then` updates it in place (one is
    made for each fold), so an event costs no new object."""

    state: PipelineState
    created_at: datetime | None
    stage_entered_at: datetime | None
    no_show_at: datetime | None
    last_activity_at: datetime | None
    last_video_at: datetime | None
    last_follow_up_done_at: datetime | None

    def then(self, event: EventEnvelope) -> Folding:
        self.created_at = self.created_at or event.timestamp
        self.stage_entered_at = self.stage_entered_at or event.timestamp
        state = self.state
        fact = Fact.from_event(event)
        if fact is not None:
            after = apply(state, fact)
            if after.status is not state.status:
                self.stage_entered_at = fact.timestamp
            if after.booking.state is BookingState.NO_SHOW and after.booking != state.booking:
                self.no_show_at = fact.timestamp
            self.state = after
        if (at := activity_time(event, state.opted_out)) is not None:
            self.last_activity_at = _later(self.last_activity_at, at)
        if event.event_name is EventName.VIDEO_SENT:
            self.last_video_at = _later(self.last_video_at, event.timestamp)
        if event.event_name is EventName.FOLLOW_UP_DONE:
            self.last_follow_up_done_at = _later(self.last_follow_up_done_at, event.timestamp)
        return self


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current
