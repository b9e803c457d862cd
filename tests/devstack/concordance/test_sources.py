"""The legacy facts written into crm_devstack.concordance.sources are what the legacy files say."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from crm_devstack.concordance import sources as src
from crm_schemas.catalog import CATALOG, EventName

LEGACY = Path(__file__).resolve().parents[3] / "docs" / "concordance" / "legacy"


def _legacy(name: str) -> Any:
    return json.loads((LEGACY / name).read_text(encoding="utf-8"))


def _alternatives(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


def test_events_json() -> None:
    schema = _legacy("events.json")
    fields = schema["properties"]
    assert tuple(fields["event_name"]["enum"]) == src.LEGACY_EVENT_NAMES
    assert tuple(fields) == src.LEGACY_ENVELOPE_FIELDS
    assert tuple(schema["required"]) == src.LEGACY_REQUIRED
    assert _alternatives(fields["source"]["description"]) == src.LEGACY_SOURCES
    assert tuple(fields["consent"]["properties"]) == src.LEGACY_CONSENT_FIELDS
    assert tuple(fields["utm"]["properties"]) == src.LEGACY_UTM_FIELDS
    # The probes take top-level extras as accepted by the earlier schema: it must not forbid them.
    assert schema.get("additionalProperties", True) is not False


def test_pipelines_json() -> None:
    pipelines = _legacy("pipelines.json")
    assert {name: tuple(terms) for name, terms in pipelines.items()} == src.LEGACY_PIPELINES


def test_crm_objects_json() -> None:
    objects = _legacy("crm_objects.json")
    contact, deal = objects["contact"], objects["deal"]
    assert tuple(contact) == src.LEGACY_CONTACT_FIELDS
    assert _alternatives(contact["lifecycle_stage"]) == src.LEGACY_LIFECYCLE_STAGES
    assert tuple(deal) == src.LEGACY_DEAL_FIELDS
    assert _alternatives(deal["stage"]) == src.LEGACY_DEAL_STAGES
    assert _alternatives(deal["booking_status"]) == src.LEGACY_BOOKING_STATUSES
    assert tuple(objects["team_member"]) == src.LEGACY_TEAM_MEMBER_FIELDS


def _template_name(template: str) -> str:
    """'{{hash(email)}}' -> 'email', '{{product_ids}}' -> 'product_ids'."""
    match = re.fullmatch(r"\{\{(?:hash\()?(\w+)\)?\}\}", template)
    assert match, template
    return match.group(1)


def test_meta_capi_mapping_json() -> None:
    mapping = _legacy("meta_capi_mapping.json")
    assert tuple(mapping) == tuple(capi.name for capi in src.CAPI_EVENTS)
    for capi in src.CAPI_EVENTS:
        entry = mapping[capi.name]
        payload = entry["payload_map"]
        assert entry["source_event"] == capi.source_event
        assert payload["event_name"] == capi.name
        custom = {k: _template_name(v) for k, v in payload.get("custom_data", {}).items()}
        user = {k: _template_name(v) for k, v in payload.get("user_data", {}).items()}
        assert custom == capi.custom_data
        assert user == capi.user_data


def test_property_origins_name_real_properties() -> None:
    for event, prop in src.LEGACY_PROPERTY_ORIGINS:
        assert prop in CATALOG[EventName(event)].properties.model_json_schema()["properties"]
    purchase = next(capi for capi in src.CAPI_EVENTS if capi.name == "Purchase")
    model = CATALOG[EventName(purchase.source_event)].properties
    assert set(purchase.custom_data.values()) <= set(model.model_fields)
