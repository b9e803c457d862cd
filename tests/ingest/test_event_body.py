"""POST /api/events documents each event's properties (crm_ingest.schemas), checked by
validating bodies against the published document with a JSON Schema validator."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from crm_schemas.catalog import EXTERNAL_EVENTS, SYSTEM_EVENTS

from .test_openapi_fuzz import ingest_app

DOCUMENT = ingest_app().openapi()
BODY = DOCUMENT["paths"]["/api/events"]["post"]["requestBody"]["content"]["application/json"]


def fits(body: dict[str, Any]) -> bool:
    schema = {**BODY["schema"], "components": DOCUMENT["components"]}
    return jsonschema.Draft202012Validator(schema).is_valid(body)


def event(name: str, **properties: Any) -> dict[str, Any]:
    return {
        "event_name": name,
        "event_id": "e1",
        "timestamp": "2026-11-02T08:00:00Z",
        "user_id": "kari",
        "properties": properties,
    }


def test_one_branch_per_event_a_client_may_send() -> None:
    named = {branch["properties"]["event_name"]["const"] for branch in BODY["schema"]["oneOf"]}
    assert named == {name.value for name in EXTERNAL_EVENTS}


def test_a_branch_names_its_events_required_properties() -> None:
    assert fits(event("MEETING_BOOKED", booking_time="2026-11-03T18:00:00Z"))
    assert not fits(event("MEETING_BOOKED"))
    assert fits(event("PURCHASED", amount=10, currency="NOK", product_ids=["p1"]))
    assert not fits(event("PURCHASED", amount=10, currency="kr", product_ids=["p1"]))


@pytest.mark.parametrize("name", sorted(SYSTEM_EVENTS)[:3])
def test_a_system_event_fits_no_branch(name: str) -> None:
    assert not fits(event(name))
