"""Typed properties of the events the services emit (source `system`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from crm_schemas.contact import Consent, Handles, Utm
from crm_schemas.pipeline import PipelineState
from crm_schemas.properties import Properties


class CustomerSnapshot(BaseModel):
    """The customer's own fields, as the customers service holds them."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    handles: Handles | None = None
    source: str | None = None
    country: str | None = None
    language: str | None = None
    notes: str | None = None
    prospect_why: str | None = None
    next_action: str | None = None
    next_action_date: AwareDatetime | None = None
    consent: Consent | None = None
    utm: Utm | None = None
    # The account's own fields on the card.
    custom: dict[str, Any] | None = None


class CreationOrigin(StrEnum):
    """How a customer came to be: a person's POST /api/customers (an import, which may
    start anywhere), or the first event ingest published for an unknown customer."""

    API = "api"
    EVENT = "event"


class CustomerCreated(Properties):
    customer: CustomerSnapshot
    state: PipelineState
    created_at: AwareDatetime
    # None when the producer did not say: no creation is counted as activity then.
    origin: CreationOrigin | None = None

    @property
    def is_activity(self) -> bool:
        return creation_is_activity(self.origin, self.state)


def creation_is_activity(origin: CreationOrigin | None, state: PipelineState) -> bool:
    """A creation through the API in an open stage is activity (docs/domain.md, 'Activity'):
    an imported lead nobody talks to still gets its inactivity reminder. Its producer asks
    this before the event exists (the event carries the card the creation's entry shapes)."""
    return origin is CreationOrigin.API and state.status.is_open


class CustomerUpdated(Properties):
    # Only the fields that changed, with their new values.
    changes: dict[str, Any]


class CustomerDeleted(Properties):
    reason: str | None = None


class Actor(StrEnum):
    """Who caused a status change: a person through the API, or a fact (an event)."""

    PERSON = "person"
    EVENT = "event"


class StatusChanged(Properties):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    from_: PipelineState = Field(alias="from")
    to: PipelineState
    cause_event_id: str
    cause_event_name: str
    actor: Actor
    actor_id: str | None = None
    reason: str | None = None


class InteractionType(StrEnum):
    NOTE = "note"
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    MESSAGE = "message"
    REMINDER = "reminder"


class Interaction(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: UUID
    customer_id: UUID
    type: InteractionType
    content: str | None = None
    occurred_at: AwareDatetime
    scheduled_for: AwareDatetime | None = None
    completed: bool = False


class InteractionEvent(Properties):
    """INTERACTION_LOGGED / UPDATED / DELETED carry the whole interaction."""

    interaction: Interaction


class ReminderType(StrEnum):
    FOLLOW_UP_2H = "follow_up_2h"
    FOLLOW_UP_1D = "follow_up_1d"
    FOLLOW_UP_24H = "follow_up_24h"
    FOLLOW_UP_48H = "follow_up_48h"
    FOLLOW_UP_7D = "follow_up_7d"
    CUSTOM = "custom"


class ReminderRule(StrEnum):
    VIDEO_SENT = "video_sent"
    NO_SHOW = "no_show"
    INACTIVITY = "inactivity"
    PRESENTATION_SENT = "presentation_sent"
    MANUAL = "manual"


class CompletedBy(StrEnum):
    PERSON = "person"
    FOLLOW_UP_DONE = "follow_up_done"


class ReminderEvent(Properties):
    """Every REMINDER_* event carries the reminder as it stands after the change."""

    reminder_id: UUID
    type: ReminderType
    rule: ReminderRule
    scheduled_for: AwareDatetime
    trigger_event_id: str
    automated: bool
    message: str | None = None
    completed_by: CompletedBy | None = None
    previous_scheduled_for: AwareDatetime | None = None
    reason: str | None = None


class Urgency(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Recommendation(BaseModel):
    model_config = ConfigDict(extra="allow")

    customer_id: UUID
    action: str
    title: str
    reason: str
    priority: int = Field(ge=0, le=100)
    urgency: Urgency
    due_at: AwareDatetime | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    computed_at: AwareDatetime


class NbaChanged(Properties):
    recommendation: Recommendation


class CoachingKind(StrEnum):
    INVITES_LEFT = "invites_left"
    FOLLOW_UPS_LEFT = "follow_ups_left"
    STREAK_AT_RISK = "streak_at_risk"
    REBOOKS_WAITING = "rebooks_waiting"
    TARGETS_MET = "targets_met"


class CoachingPrompt(Properties):
    text: str
    kind: CoachingKind
    local_date: str | None = Field(default=None, description="the account's local day, ISO date")
