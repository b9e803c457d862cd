"""The concordance artifacts (status mapping, event catalog, report), computed from the models.

Pure functions returning JSON-able data and text; crm_devstack.concordance.cli writes and
checks the files. Everything about events and terms is read off the catalog, the pydantic models and
the vocabulary functions, so the checked-in artifacts cannot say something the code does not.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from crm_devstack.concordance.fields import describe_fields
from crm_devstack.concordance.markdown import report_markdown
from crm_devstack.concordance.report import report
from crm_devstack.concordance.sources import LEGACY_BOOKING_STATUSES, Json
from crm_schemas.catalog import ACTIVITY_EVENTS, CATALOG, EXTERNAL_EVENTS, SYSTEM_EVENTS
from crm_schemas.contact import CLIENT_SOURCES, Source
from crm_schemas.envelope import EventEnvelope, IncomingEvent
from crm_schemas.pipeline import (
    METHOD_PHASE,
    OPEN_STATUSES,
    PIPELINE_ORDER,
    Booking,
    BookingState,
    PipelineState,
    Status,
)
from crm_schemas.vocabulary import (
    VOCABULARY_TERMS,
    TermMeaning,
    Vocabulary,
    forward,
    parse_booking_state,
    reverse,
)

__all__ = [
    "artifacts",
    "describe_fields",
    "event_catalog",
    "json_text",
    "report",
    "report_markdown",
    "status_mapping",
]


def _meaning(meaning: TermMeaning) -> Json:
    return {
        "status": meaning.status.value,
        "booking": meaning.booking.value,
        "joined_team": meaning.joined_team,
    }


def _vocabulary(vocabulary: Vocabulary) -> Json:
    terms = VOCABULARY_TERMS[vocabulary]
    rows = []
    # Every combination, so a reader never has to guess what "any" or "other" covered.
    # opted_out is left out: it never changes the term a vocabulary shows.
    for status in Status:
        for booking in BookingState:
            for joined_team in (False, True):
                state = PipelineState(
                    status=status, booking=Booking(state=booking), joined_team=joined_team
                )
                rows.append(
                    {
                        "status": status.value,
                        "booking": booking.value,
                        "joined_team": joined_team,
                        "term": reverse(state, vocabulary),
                    }
                )
    return {
        "terms": list(terms),
        "forward": {term: _meaning(forward(term, vocabulary)) for term in terms},
        "reverse": rows,
    }


def status_mapping() -> Json:
    """Every vocabulary in both directions, with the canonical statuses and booking states."""
    return {
        "canonical": {
            "statuses": [
                {
                    "code": status.value,
                    "label": status.label,
                    "order": status.rank if status in PIPELINE_ORDER else None,
                    "open": status in OPEN_STATUSES,
                    "phase": METHOD_PHASE[status],
                }
                for status in Status
            ],
            "pipeline_order": [status.value for status in PIPELINE_ORDER],
            "open_stages": [status.value for status in PIPELINE_ORDER if status in OPEN_STATUSES],
            "side_states": [status.value for status in Status if status not in PIPELINE_ORDER],
            "booking_states": [booking.value for booking in BookingState],
        },
        "legacy_booking_aliases": {
            value: parse_booking_state(value).value for value in LEGACY_BOOKING_STATUSES
        },
        "matching": "terms match ignoring case, spaces, hyphens and underscores",
        "vocabularies": {vocabulary.value: _vocabulary(vocabulary) for vocabulary in Vocabulary},
    }


def _fields(model: type[BaseModel]) -> Json:
    required, optional = describe_fields(model)
    return {"required": required, "optional": optional}


def event_catalog() -> Json:
    """Every event: meaning, emitter, activity, account level and its properties' JSON types."""
    events: Json = {}
    models: Json = {}
    for name, spec in CATALOG.items():
        model = spec.properties
        schema = model.model_json_schema()
        models[model.__name__] = schema
        events[name.value] = {
            "meaning": spec.meaning,
            "emitted_by": spec.emitted_by.value,
            "source": "client" if name in EXTERNAL_EVENTS else Source.SYSTEM.value,
            "activity": spec.activity,
            "account_level": spec.account_level,
            "properties_model": model.__name__,
            "additional_properties": bool(schema.get("additionalProperties", False)),
            **_fields(model),
        }
    return {
        "order": [name.value for name in CATALOG],
        "events": events,
        "external_events": [name.value for name in CATALOG if name in EXTERNAL_EVENTS],
        "system_events": [name.value for name in CATALOG if name in SYSTEM_EVENTS],
        "activity_events": [name.value for name in CATALOG if name in ACTIVITY_EVENTS],
        # Beside the list: activity that depends on the event's content or the customer's state.
        "activity_also": [
            "INTERACTION_LOGGED counts at the interaction's occurred_at",
            "any event that opts an opted-out customer back in (consent.messaging true)",
        ],
        "sources": {
            "client": [source.value for source in Source if source in CLIENT_SOURCES],
            "reserved": [source.value for source in Source if source not in CLIENT_SOURCES],
        },
        "envelope": {"incoming": _fields(IncomingEvent), "topic": _fields(EventEnvelope)},
        "models": models,
    }


def json_text(data: Any) -> str:
    """The one serialization of every JSON artifact: sorted keys, two spaces, final newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def artifacts() -> dict[str, str]:
    """File name (under docs/concordance/) -> the exact text it must hold."""
    full_report = report()
    return {
        "status_mapping.json": json_text(status_mapping()),
        "event_catalog.json": json_text(event_catalog()),
        "report.json": json_text(full_report),
        "README.md": report_markdown(full_report),
    }
