"""Frazer CRM shared schemas: envelopes, the event catalog, the pipeline and its vocabularies,
the pipeline fold, deterministic ids and topic names. Pure data and pure functions, no I/O."""

from crm_schemas.catalog import ACTIVITY_EVENTS, CATALOG, EventName, spec_of
from crm_schemas.contact import Consent, Contact, Handles, Source, Utm
from crm_schemas.envelope import EventEnvelope, IncomingEvent
from crm_schemas.fold import Fact, apply, fold
from crm_schemas.ids import system_event_id
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.vocabulary import Vocabulary, forward, reverse

__all__ = [
    "ACTIVITY_EVENTS",
    "CATALOG",
    "Booking",
    "BookingState",
    "Consent",
    "Contact",
    "EventEnvelope",
    "EventName",
    "Fact",
    "Handles",
    "IncomingEvent",
    "PipelineState",
    "Source",
    "Status",
    "Utm",
    "Vocabulary",
    "apply",
    "fold",
    "forward",
    "reverse",
    "spec_of",
    "system_event_id",
]
