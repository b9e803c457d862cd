"""The concordance report: where every event, field, status term and rule comes from.

Each trace is computed: an event cites events.json only if its name is in the legacy enum, a
term cites pipelines.json only if that pipeline lists it, and so on. Rules, NBA rows and KPIs
have no legacy counterpart and cite DOMAIN.md alone.
"""

from __future__ import annotations

from crm_devstack.concordance import sources as src
from crm_devstack.concordance.changes import changes
from crm_devstack.concordance.domain import KPIS, NBA_ROWS, RULES, urgency_of
from crm_devstack.concordance.probes import probes
from crm_devstack.concordance.sources import Json, domain, legacy
from crm_schemas.catalog import CATALOG, EXTERNAL_EVENTS, Emitter, EventName
from crm_schemas.envelope import EventEnvelope, IncomingEvent
from crm_schemas.pipeline import BookingState, Status
from crm_schemas.system_properties import CoachingKind
from crm_schemas.vocabulary import VOCABULARY_TERMS, Vocabulary, forward, parse_booking_state

# The DOMAIN.md section that says what a service's own events mean, beside the catalog.
_EMITTER_SECTION: dict[Emitter, str] = {Emitter.RULES: src.RULES, Emitter.NBA: src.NBA}


def _event_origins(name: EventName, emitter: Emitter) -> list[Json]:
    origins: list[Json] = []
    if name.value in src.LEGACY_EVENT_NAMES:
        origins.append(legacy(src.EVENTS_JSON, "properties.event_name.enum", name.value))
    origins.extend(src.capi_origins(name.value))
    origins.append(domain(src.CATALOG))
    if name is EventName.STATUS_CHANGED:
        origins.append(domain(src.MOVING))
    if emitter in _EMITTER_SECTION:
        origins.append(domain(_EMITTER_SECTION[emitter]))
    return origins


def _events() -> Json:
    traced: Json = {}
    for name, spec in CATALOG.items():
        schema = spec.properties.model_json_schema()
        required = set(schema.get("required", ()))
        properties = {
            prop: {
                "required": prop in required,
                "origins": [
                    *src.LEGACY_PROPERTY_ORIGINS.get((name.value, prop), ()),
                    *src.capi_property_origins(name.value, prop),
                    domain(src.CATALOG),
                ],
            }
            for prop in schema["properties"]
        }
        traced[name.value] = {
            "in_legacy": name.value in src.LEGACY_EVENT_NAMES,
            "from_outside": name in EXTERNAL_EVENTS,
            "origins": _event_origins(name, spec.emitted_by),
            "properties": properties,
        }
    return traced


def _envelope_fields() -> Json:
    incoming = IncomingEvent.model_json_schema()["properties"]
    topic = EventEnvelope.model_json_schema()["properties"]
    traced: Json = {}
    for field in [*incoming, *(name for name in topic if name not in incoming)]:
        origins: list[Json] = []
        if field in src.LEGACY_ENVELOPE_FIELDS:
            origins.append(legacy(src.EVENTS_JSON, f"properties.{field}"))
        origins.append(domain(src.ENVELOPES))
        traced[field] = {
            "in_legacy": field in src.LEGACY_ENVELOPE_FIELDS,
            "incoming": field in incoming,
            "topic": field in topic,
            "origins": origins,
        }
    return traced


def _legacy_terms_meaning(status: Status) -> list[Json]:
    """The legacy pipeline terms that now mean this status."""
    return [
        legacy(src.PIPELINES_JSON, pipeline, term)
        for vocabulary, pipeline in src.PIPELINE_OF_VOCABULARY.items()
        for term in src.LEGACY_PIPELINES[pipeline]
        if forward(term, Vocabulary(vocabulary)).status is status
    ]


def _legacy_booking_values(booking: BookingState) -> list[Json]:
    return [
        legacy(src.CRM_OBJECTS_JSON, "deal.booking_status", value)
        for value in src.LEGACY_BOOKING_STATUSES
        if parse_booking_state(value) is booking
    ]


def _statuses() -> Json:
    return {
        status.value: {
            "label": status.label,
            "origins": [domain(src.PIPELINE), *_legacy_terms_meaning(status)],
        }
        for status in Status
    }


def _booking_states() -> Json:
    return {
        booking.value: {"origins": [domain(src.PIPELINE), *_legacy_booking_values(booking)]}
        for booking in BookingState
    }


def _term_origins(term: str, vocabulary: Vocabulary) -> list[Json]:
    origins: list[Json] = [domain(src.VOCABULARIES)]
    pipeline = src.PIPELINE_OF_VOCABULARY.get(vocabulary.value)
    if pipeline is not None and term in src.LEGACY_PIPELINES[pipeline]:
        origins.append(legacy(src.PIPELINES_JSON, pipeline, term))
        if term in src.LEGACY_DEAL_STAGES:
            origins.append(legacy(src.CRM_OBJECTS_JSON, "deal.stage", term))
    if any(term == status.label for status in Status):
        origins.append(domain(src.PIPELINE))
    booking = forward(term, vocabulary).booking
    if booking is not BookingState.NONE:
        origins.extend(_legacy_booking_values(booking))
    return origins


def _terms() -> Json:
    traced: Json = {}
    for vocabulary in Vocabulary:
        traced[vocabulary.value] = {}
        for term in VOCABULARY_TERMS[vocabulary]:
            meaning = forward(term, vocabulary)
            traced[vocabulary.value][term] = {
                "status": meaning.status.value,
                "booking": meaning.booking.value,
                "joined_team": meaning.joined_team,
                "origins": _term_origins(term, vocabulary),
            }
    return traced


def _rules() -> list[Json]:
    return [
        {
            "trigger": row.trigger,
            "events": [name.value for name in row.events],
            "rule": row.rule.value if row.rule else None,
            "reminders": [{"type": kind.value, "at": at} for kind, at in row.reminders],
            "also": row.also,
            "origins": [domain(src.RULES)],
        }
        for row in RULES
    ]


def _nba() -> list[Json]:
    return [
        {
            "situation": row.situation,
            "action": row.action,
            "priority": row.priority,
            "urgency": urgency_of(row.priority).value,
            "due_at": row.due_at,
            "origins": [domain(src.NBA)],
        }
        for row in NBA_ROWS
    ]


def report() -> Json:
    """Traceability of every event, field, status, term, rule, NBA row and KPI, and the changes."""
    return {
        "sources": src.LEGACY_FILES,
        "events": _events(),
        "envelope_fields": _envelope_fields(),
        "canonical_statuses": _statuses(),
        "booking_states": _booking_states(),
        "status_terms": _terms(),
        "rules": _rules(),
        "nba": _nba(),
        "coaching_prompts": {kind.value: {"origins": [domain(src.NBA)]} for kind in CoachingKind},
        "kpis": [
            {
                "name": kpi.name,
                "unit": kpi.unit,
                "events": [name.value for name in kpi.events],
                "origins": [domain(src.KPIS)],
            }
            for kpi in KPIS
        ],
        # Said once rather than on every row: the earlier files hold no automation at all.
        "without_legacy_counterpart": [
            "rules",
            "nba",
            "coaching_prompts",
            "kpis",
        ],
        "changes": changes(),
        "probes": probes(),
    }
