"""What the rules keep of each event about a customer: enough to replay their automation."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from crm_schemas.catalog import EventName
from crm_schemas.contact import MESSAGING_PLATFORMS, Source
from crm_schemas.envelope import EventEnvelope
from crm_schemas.fold import Fact, activity_time
from crm_schemas.pipeline import PipelineState
from crm_schemas.system_properties import CustomerCreated

INBOUND_MESSAGES = frozenset({EventName.DM_STARTED, EventName.MESSAGE_RECEIVED})


class CustomerEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: str
    event_name: EventName
    timestamp: AwareDatetime
    # The pipeline fold's view: external events and a person's moves, else None.
    fact: Fact | None = None
    # Activity whatever the state (an opt-in's activity depends on state: see policy).
    activity_at: AwareDatetime | None = None
    inbound_platform: Source | None = None
    # CUSTOMER_CREATED: where the customer started (an import may start anywhere). The
    # replay starts from it rather than from a new lead.
    initial_state: PipelineState | None = None

    @property
    def order_key(self) -> tuple[datetime, int, str]:
        """Timestamp order; at one instant the facts come before the status changes they cause,
        so a change is judged with its cause already folded in."""
        return (self.timestamp, 0 if self.fact is not None else 1, self.event_id)

    @classmethod
    def from_envelope(cls, event: EventEnvelope) -> CustomerEvent:
        return cls(
            event_id=event.event_id,
            event_name=event.event_name,
            timestamp=event.timestamp,
            fact=Fact.from_event(event),
            activity_at=activity_time(event, was_opted_out=False),
            inbound_platform=_inbound_platform(event),
            initial_state=_initial_state(event),
        )


def _inbound_platform(event: EventEnvelope) -> Source | None:
    if event.event_name not in INBOUND_MESSAGES:
        return None
    if event.source in MESSAGING_PLATFORMS:
        return event.source
    # A relay (web, ads) may still name the platform the message came through.
    channel = event.properties.get("channel")
    return Source(channel) if channel in {p.value for p in MESSAGING_PLATFORMS} else event.source


def _initial_state(event: EventEnvelope) -> PipelineState | None:
    if event.event_name is not EventName.CUSTOMER_CREATED:
        return None
    return CustomerCreated.model_validate(event.properties).state
