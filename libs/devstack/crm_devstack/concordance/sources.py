"""The earlier system's facts and DOMAIN.md's sections that the concordance cites, as data.

What the report traces to is written here, not read from the legacy files at run time, so
the artifacts follow from the code alone. Every citation is a path into a legacy file
(docs/concordance/legacy/) or a DOMAIN.md heading, and the tests resolve each one against the
real files, so a citation that stops being true fails the build.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

Json = dict[str, Any]

EVENTS_JSON = "legacy/events.json"
PIPELINES_JSON = "legacy/pipelines.json"
CRM_OBJECTS_JSON = "legacy/crm_objects.json"
CAPI_JSON = "legacy/meta_capi_mapping.json"
DOMAIN_MD = "DOMAIN.md"

LEGACY_FILES: dict[str, str] = {
    EVENTS_JSON: "the earlier event schema (JSON Schema of the envelope, the event_name enum)",
    PIPELINES_JSON: "the earlier pipelines and their stage terms (Recruiting, Sales)",
    CRM_OBJECTS_JSON: "the earlier contact, deal and team_member objects",
    CAPI_JSON: "the earlier Meta Conversions API mapping (Lead, Schedule, Purchase)",
    DOMAIN_MD: "shared/design/DOMAIN.md, the source of truth that settled the legacy conflicts",
}

# DOMAIN.md headings, spelled exactly as they are (the tests look them up).
ACCOUNTS = "Accounts"
IDENTITY = "Customers and identity"
PIPELINE = "The canonical pipeline"
VOCABULARIES = "Vocabularies and the mapping"
MOVING = "Moving through the pipeline"
ENVELOPES = "Envelopes"
CATALOG = "Catalog"
CONSENT = "Consent and opt-out"
RULES = "Automation rules (rules service)"
KPIS = "KPIs (stats service)"
NBA = "Next best action (nba service)"
DOMAIN_SECTIONS: tuple[str, ...] = (
    ACCOUNTS,
    IDENTITY,
    PIPELINE,
    VOCABULARIES,
    MOVING,
    ENVELOPES,
    CATALOG,
    CONSENT,
    RULES,
    KPIS,
    NBA,
)


def legacy(file: str, path: str, value: str | None = None) -> Json:
    """A citation of a legacy file: a dotted path into its JSON, and the value found there.

    The value is a member of the list at that path, or part of the string there (the legacy
    files write enums as "a|b|c" and templates as "{{hash(email)}}").
    """
    origin: Json = {"source": file, "path": path}
    if value is not None:
        origin["value"] = value
    return origin


def domain(section: str) -> Json:
    return {"source": DOMAIN_MD, "section": section}


# events.json
LEGACY_EVENT_NAMES: tuple[str, ...] = (
    "DM_STARTED",
    "LEAD_QUALIFIED",
    "MEETING_BOOKED",
    "MEETING_HELD",
    "NO_SHOW",
    "PURCHASED",
    "JOINED_TEAM",
    "UNSUBSCRIBED",
)
LEGACY_ENVELOPE_FIELDS: tuple[str, ...] = (
    "event_name",
    "event_id",
    "user_id",
    "account_id",
    "timestamp",
    "source",
    "properties",
    "consent",
    "utm",
)
LEGACY_REQUIRED: tuple[str, ...] = ("event_name", "event_id", "timestamp")
LEGACY_SOURCES: tuple[str, ...] = ("ig", "messenger", "whatsapp", "web", "ads", "manual")
LEGACY_CONSENT_FIELDS: tuple[str, ...] = ("email", "sms", "messaging", "terms_version")
LEGACY_UTM_FIELDS: tuple[str, ...] = ("source", "medium", "campaign", "content", "term")

# pipelines.json: the legacy pipeline name of each vocabulary that has one.
LEGACY_PIPELINES: dict[str, tuple[str, ...]] = {
    "Recruiting": ("New", "Qualified", "Booked", "Held", "Joined", "Lost", "No-Show"),
    "Sales": ("New", "Qualified", "Booked", "Held", "Won", "Lost", "No-Show"),
}
PIPELINE_OF_VOCABULARY: dict[str, str] = {"recruiting": "Recruiting", "sales": "Sales"}

# crm_objects.json
LEGACY_CONTACT_FIELDS: tuple[str, ...] = (
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "handle_ig",
    "country",
    "language",
    "owner_id",
    "lifecycle_stage",
    "consent",
    "utm",
    "custom",
)
LEGACY_LIFECYCLE_STAGES: tuple[str, ...] = (
    "subscriber",
    "lead",
    "mql",
    "sql",
    "customer",
    "partner",
)
LEGACY_DEAL_FIELDS: tuple[str, ...] = (
    "external_id",
    "pipeline",
    "stage",
    "amount",
    "currency",
    "owner_id",
    "contact_external_id",
    "product",
    "booking_time",
    "booking_status",
    "custom",
)
LEGACY_DEAL_STAGES: tuple[str, ...] = (
    "New",
    "Qualified",
    "Booked",
    "Held",
    "Won",
    "Lost",
    "No-Show",
)
LEGACY_BOOKING_STATUSES: tuple[str, ...] = ("pending", "confirmed", "held", "no-show", "canceled")
LEGACY_TEAM_MEMBER_FIELDS: tuple[str, ...] = ("id", "name", "role", "territory", "calendars")


class CapiEvent(NamedTuple):
    """One meta_capi_mapping.json entry: which catalog event feeds it and with which fields."""

    name: str
    source_event: str
    # CAPI field -> the property or contact field the template names.
    custom_data: dict[str, str]
    user_data: dict[str, str]


CAPI_EVENTS: tuple[CapiEvent, ...] = (
    CapiEvent(
        "Lead",
        "LEAD_QUALIFIED",
        {"value": "value", "currency": "currency"},
        {
            "em": "email",
            "ph": "phone",
        },
    ),
    CapiEvent("Schedule", "MEETING_BOOKED", {}, {}),
    CapiEvent(
        "Purchase",
        "PURCHASED",
        {"content_ids": "product_ids", "value": "amount", "currency": "currency"},
        {},
    ),
)


def capi_origins(event_name: str) -> list[Json]:
    return [
        legacy(CAPI_JSON, f"{capi.name}.source_event", event_name)
        for capi in CAPI_EVENTS
        if capi.source_event == event_name
    ]


def capi_property_origins(event_name: str, prop: str) -> list[Json]:
    """Where a CAPI template reads this property of this event."""
    return [
        legacy(CAPI_JSON, f"{capi.name}.payload_map.custom_data.{field}", prop)
        for capi in CAPI_EVENTS
        if capi.source_event == event_name
        for field, named in capi.custom_data.items()
        if named == prop
    ]


# Event properties whose name or meaning the legacy files already had, beyond the CAPI mapping.
LEGACY_PROPERTY_ORIGINS: dict[tuple[str, str], tuple[Json, ...]] = {
    ("MEETING_BOOKED", "booking_time"): (legacy(CRM_OBJECTS_JSON, "deal.booking_time"),),
    ("PURCHASED", "amount"): (legacy(CRM_OBJECTS_JSON, "deal.amount"),),
    ("PURCHASED", "currency"): (legacy(CRM_OBJECTS_JSON, "deal.currency"),),
    ("PURCHASED", "product_ids"): (legacy(CRM_OBJECTS_JSON, "deal.product"),),
}


def change(key: str, summary: str, before: str, after: str, origins: list[Json]) -> Json:
    """One entry of the report's list of what changed from the earlier system."""
    return {"id": key, "summary": summary, "before": before, "after": after, "origins": origins}


def names(items: Iterable[object]) -> str:
    """A readable list: 'a, b, c'."""
    return ", ".join(str(item) for item in items)
