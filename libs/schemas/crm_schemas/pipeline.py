"""The canonical pipeline: status codes, the booking, and the four-part pipeline state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Status(StrEnum):
    """Persisted status codes, in pipeline order, plus the side state not_now."""

    LEAD = "lead"
    RELATIONSHIP = "relationship"
    INVITED = "invited"
    QUALIFIED = "qualified"
    PRESENTATION_SENT = "presentation_sent"
    FOLLOW_UP = "follow_up"
    SIGNED_UP = "signed_up"
    NOT_NOW = "not_now"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES

    @property
    def rank(self) -> int:
        """Position in the forward order; not_now has no rank (it is beside the line)."""
        return PIPELINE_ORDER.index(self)


PIPELINE_ORDER: tuple[Status, ...] = (
    Status.LEAD,
    Status.RELATIONSHIP,
    Status.INVITED,
    Status.QUALIFIED,
    Status.PRESENTATION_SENT,
    Status.FOLLOW_UP,
    Status.SIGNED_UP,
)
OPEN_STATUSES: frozenset[Status] = frozenset(PIPELINE_ORDER[:-1])

STATUS_LABELS: dict[Status, str] = {
    Status.LEAD: "Lead",
    Status.RELATIONSHIP: "Relationship",
    Status.INVITED: "Invited",
    Status.QUALIFIED: "Qualified",
    Status.PRESENTATION_SENT: "Presentation Sent",
    Status.FOLLOW_UP: "Follow-up",
    Status.SIGNED_UP: "Signed-up",
    Status.NOT_NOW: "Not Now",
}

# Frazer's loop, for readers and reports: which phase of the method a stage belongs to.
METHOD_PHASE: dict[Status, str] = {
    Status.LEAD: "Talk",
    Status.RELATIONSHIP: "Talk",
    Status.INVITED: "Invite",
    Status.QUALIFIED: "Invite",
    Status.PRESENTATION_SENT: "Show",
    Status.FOLLOW_UP: "Keep Talking",
    Status.SIGNED_UP: "Signed-up",
    Status.NOT_NOW: "Not Now",
}


def is_forward(current: Status, target: Status) -> bool:
    """True when target lies strictly later on the pipeline line than current.

    not_now is off the line: nothing is 'forward' of it by this test (re-opening
    is its own rule), and it is never a forward target.
    """
    if current is Status.NOT_NOW or target is Status.NOT_NOW:
        return False
    return target.rank > current.rank


def next_stage(current: Status) -> Status | None:
    """One step forward for a person's next-stage; from not_now back to relationship."""
    if current is Status.NOT_NOW:
        return Status.RELATIONSHIP
    if current is Status.SIGNED_UP:
        return None
    return PIPELINE_ORDER[current.rank + 1]


def previous_stage(current: Status) -> Status | None:
    if current is Status.NOT_NOW or current is Status.LEAD:
        return None
    return PIPELINE_ORDER[current.rank - 1]


class BookingState(StrEnum):
    NONE = "none"
    BOOKED = "booked"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELED = "canceled"


class Booking(BaseModel):
    """The current intro/presentation meeting."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    state: BookingState = BookingState.NONE
    time: AwareDatetime | None = None
    booking_id: str | None = None


class PipelineState(BaseModel):
    """A customer's pipeline state: status, booking, joined_team and opted_out."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    status: Status = Status.LEAD
    booking: Booking = Booking()
    joined_team: bool = False
    opted_out: bool = False

    def with_changes(
        self,
        *,
        status: Status | None = None,
        booking: Booking | None = None,
        joined_team: bool | None = None,
        opted_out: bool | None = None,
    ) -> PipelineState:
        return PipelineState(
            status=self.status if status is None else status,
            booking=self.booking if booking is None else booking,
            joined_team=self.joined_team if joined_team is None else joined_team,
            opted_out=self.opted_out if opted_out is None else opted_out,
        )


def booking_at(state: BookingState, time: datetime | None, booking_id: str | None) -> Booking:
    return Booking(state=state, time=time, booking_id=booking_id)
