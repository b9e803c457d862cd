"""What changed from the earlier system in events and envelopes (pipeline changes: next module).

Each entry states only what the models and the legacy facts show: the lists in the text are
computed, so an entry that stopped being true would change the checked-in report.
"""

from __future__ import annotations

from crm_devstack.concordance import sources as src
from crm_devstack.concordance.changes_pipeline import pipeline_changes
from crm_devstack.concordance.sources import Json, change, domain, legacy, names
from crm_schemas.catalog import (
    ACTIVITY_EVENTS,
    CATALOG,
    EXTERNAL_EVENTS,
    KNOWN_EVENT_NAMES,
    SYSTEM_EVENTS,
    EventName,
)
from crm_schemas.contact import (
    CLIENT_SOURCES,
    MAX_FURTHER_KEYS,
    Consent,
    Contact,
    Source,
    Utm,
)
from crm_schemas.envelope import MAX_EVENT_ID_LENGTH, EventEnvelope, IncomingEvent
from crm_schemas.ids import SYSTEM_EVENT_NAMESPACE

_ENUM = "properties.event_name.enum"


def _required(name: EventName) -> list[str]:
    return list(CATALOG[name].properties.model_json_schema().get("required", ()))


def _events_added() -> Json:
    outside = [n.value for n in CATALOG if n in EXTERNAL_EVENTS and n not in src.LEGACY_EVENT_NAMES]
    system = [n.value for n in CATALOG if n in SYSTEM_EVENTS and n not in src.LEGACY_EVENT_NAMES]
    return change(
        "events-added",
        f"{len(outside) + len(system)} events beyond the earlier {len(src.LEGACY_EVENT_NAMES)}. "
        f"The earlier event_name enum rejected them; ingest now accepts the {len(outside)} "
        f"from outside ({names(outside)}), and the services emit {len(system)} of their own "
        f"with source system ({names(system)}).",
        f"events.json event_name enum: {names(src.LEGACY_EVENT_NAMES)}",
        f"{len(CATALOG)} events in the catalog",
        [legacy(src.EVENTS_JSON, _ENUM), domain(src.CATALOG)],
    )


def _legacy_events_kept() -> Json:
    kept = [
        n
        for n in src.LEGACY_EVENT_NAMES
        if n in KNOWN_EVENT_NAMES and EventName(n) in EXTERNAL_EVENTS
    ]
    dropped = [n for n in src.LEGACY_EVENT_NAMES if n not in kept]
    return change(
        "legacy-events-kept",
        ("All" if not dropped else f"{len(kept)} of the")
        + f" {len(src.LEGACY_EVENT_NAMES)} earlier event names keep their name "
        "and are still accepted from outside"
        + (f"; no longer accepted: {names(dropped)}" if dropped else "."),
        f"events.json event_name enum: {names(src.LEGACY_EVENT_NAMES)}",
        f"kept: {names(kept)}",
        [legacy(src.EVENTS_JSON, _ENUM), domain(src.CATALOG)],
    )


def _typed_properties() -> Json:
    outside = [n for n in CATALOG if n in EXTERNAL_EVENTS]
    required = [f"{n.value} ({names(_required(n))})" for n in outside if _required(n)]
    open_models = all(
        CATALOG[n].properties.model_json_schema().get("additionalProperties") for n in outside
    )
    return change(
        "typed-properties",
        "Each event's properties are checked against its own model; "
        + (
            "properties a sender adds beyond it are still accepted and kept."
            if open_models
            else "some events now refuse properties beyond their model."
        ),
        "events.json properties: any object (additionalProperties true), no per-event schema",
        f"required from outside: {names(required)}",
        [legacy(src.EVENTS_JSON, "properties.properties"), domain(src.CATALOG)],
    )


def _meeting_booked() -> Json:
    required = _required(EventName.MEETING_BOOKED)
    return change(
        "meeting-booked-requires-booking-time",
        f"MEETING_BOOKED now requires {names(required)} (a time with offset): the booking's time "
        "comes with the event instead of living on a deal.",
        "no required properties; the booking time was crm_objects.json deal.booking_time",
        f"MEETING_BOOKED required: {names(required)}",
        [
            legacy(src.EVENTS_JSON, "properties.properties"),
            legacy(src.CRM_OBJECTS_JSON, "deal.booking_time"),
            domain(src.CATALOG),
        ],
    )


def _purchased() -> Json:
    required = _required(EventName.PURCHASED)
    capi = next(c for c in src.CAPI_EVENTS if c.source_event == EventName.PURCHASED.value)
    reads = [f"{field}←{prop}" for field, prop in capi.custom_data.items()]
    return change(
        "purchased-requires-amount-currency-product-ids",
        f"PURCHASED now requires {names(required)}, named as the CAPI {capi.name} mapping reads "
        f"them ({names(reads)}); a purchase may hold several products where the deal had one.",
        "no required properties; crm_objects.json deal.amount, deal.currency, deal.product",
        f"PURCHASED required: {names(required)}",
        [
            legacy(src.CAPI_JSON, f"{capi.name}.payload_map.custom_data"),
            legacy(src.CRM_OBJECTS_JSON, "deal.amount"),
            legacy(src.CRM_OBJECTS_JSON, "deal.currency"),
            legacy(src.CRM_OBJECTS_JSON, "deal.product"),
            domain(src.CATALOG),
        ],
    )


def _capi_lead() -> Json:
    capi = next(c for c in src.CAPI_EVENTS if c.source_event == EventName.LEAD_QUALIFIED.value)
    model = CATALOG[EventName.LEAD_QUALIFIED].properties
    untyped = [prop for prop in capi.custom_data.values() if prop not in model.model_fields]
    hashed = [f for f in Contact.model_fields if f.endswith("_sha256")]
    return change(
        "capi-lead-hashed-identities",
        f"CAPI {capi.name} (from LEAD_QUALIFIED) sends {names(capi.user_data)} as hashes of "
        f"{names(capi.user_data.values())}; contacts now carry {names(hashed)} as identities, "
        "so a hashed identity finds the same customer as a plain one. "
        + (
            f"Its custom_data {names(untyped)} are not typed LEAD_QUALIFIED properties "
            "(kept as extra properties if sent)."
            if untyped
            else ""
        ),
        "user_data em/ph = {{hash(email)}}/{{hash(phone)}}; events had no contact field",
        f"Contact identities include {names(hashed)}",
        [
            legacy(src.CAPI_JSON, f"{capi.name}.payload_map.user_data"),
            legacy(src.CAPI_JSON, f"{capi.name}.payload_map.custom_data"),
            domain(src.IDENTITY),
        ],
    )


def _source_enum() -> Json:
    client = [s.value for s in Source if s in CLIENT_SOURCES]
    reserved = [s.value for s in Source if s not in CLIENT_SOURCES]
    same = set(client) == set(src.LEGACY_SOURCES)
    return change(
        "source-enum",
        "source is an enum instead of free text"
        + (", keeping the six earlier values" if same else f" of {names(client)}")
        + f"; {names(reserved)} is added and reserved for the services' own events "
        "(refused from clients).",
        f"events.json source: string, described as {'|'.join(src.LEGACY_SOURCES)}",
        f"client sources: {names(client)}; reserved: {names(reserved)}",
        [legacy(src.EVENTS_JSON, "properties.source.description"), domain(src.ENVELOPES)],
    )


def _envelope() -> Json:
    incoming = list(IncomingEvent.model_json_schema()["properties"])
    topic = list(EventEnvelope.model_json_schema()["properties"])
    added_in = [f for f in incoming if f not in src.LEGACY_ENVELOPE_FIELDS]
    added_topic = [f for f in topic if f not in incoming]
    lost = [f for f in src.LEGACY_ENVELOPE_FIELDS if f not in incoming]
    closed = IncomingEvent.model_config.get("extra") == "forbid"
    return change(
        "envelope-fields",
        "The incoming envelope keeps every earlier field"
        + (f" except {names(lost)}" if lost else "")
        + f" and adds {names(added_in)}; a customer_id or one identity is now required, "
        f"event_id is at most {MAX_EVENT_ID_LENGTH} characters"
        + (", other top-level fields are refused" if closed else "")
        + f". On the topic it also carries {names(added_topic)}.",
        f"events.json fields {names(src.LEGACY_ENVELOPE_FIELDS)}; "
        f"required {names(src.LEGACY_REQUIRED)}",
        f"incoming: {names(incoming)}",
        [legacy(src.EVENTS_JSON, "required"), domain(src.ENVELOPES)],
    )


def _consent_utm() -> Json:
    consent_same = list(Consent.model_fields) == list(src.LEGACY_CONSENT_FIELDS)
    utm_same = list(Utm.model_fields) == list(src.LEGACY_UTM_FIELDS)
    keeps_further = all(model.model_config.get("extra") == "allow" for model in (Consent, Utm))
    return change(
        "consent-and-utm",
        ("consent keeps its fields" if consent_same else "consent's fields changed")
        + "; it now decides opt-out: messaging false opts the customer out, only a later "
        "messaging true opts them back in, and the card's consent is the key-wise merge of "
        "the consent facts in timestamp order; "
        + ("utm keeps its five fields" if utm_same else "utm's fields changed")
        + (
            f"; both keep further keys as given (at most {MAX_FURTHER_KEYS}, each text, a "
            "boolean, a number or null)."
            if keeps_further
            else "."
        ),
        "events.json consent {email, sms, messaging, terms_version} and utm, with no stated effect",
        f"consent: {names(Consent.model_fields)}; utm: {names(Utm.model_fields)}",
        [
            legacy(src.EVENTS_JSON, "properties.consent.properties"),
            legacy(src.EVENTS_JSON, "properties.utm.properties"),
            domain(src.CONSENT),
        ],
    )


def _deterministic_ids() -> Json:
    return change(
        "deterministic-ids",
        "The idempotency key is (account_id, event_id) everywhere, and the services' events get "
        "deterministic ids (UUIDv5 of the account, the cause's id, the kind and a discriminator), "
        "so re-processing or a rebuild emits the same events.",
        "events.json event_id: a string, with no rule for derived events",
        f"UUIDv5 namespace {SYSTEM_EVENT_NAMESPACE}",
        [legacy(src.EVENTS_JSON, "properties.event_id"), domain(src.ENVELOPES)],
    )


def _activity() -> Json:
    activity = [n.value for n in CATALOG if n in ACTIVITY_EVENTS]
    return change(
        "activity-defined",
        "'Activity' (last activity, inactivity) is defined by the catalog; the earlier files "
        "had no such notion.",
        "none",
        f"activity events: {names(activity)}; also an event that opts the customer back in, "
        "and a CUSTOMER_CREATED with origin api in an open stage (a creation through the API)",
        [domain(src.CATALOG)],
    )


def changes() -> list[Json]:
    return [
        _events_added(),
        _legacy_events_kept(),
        _typed_properties(),
        _meeting_booked(),
        _purchased(),
        _capi_lead(),
        _source_enum(),
        _envelope(),
        _consent_utm(),
        _deterministic_ids(),
        _activity(),
        *pipeline_changes(),
    ]
