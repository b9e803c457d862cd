"""Meta's documented Lead Ads notification and Graph API lead (pure, no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crm_ingest.policy.connectors.items import (
    Addressee,
    Connector,
    LeadToFetch,
    ProviderIdKind,
    SkipOutcome,
    Skipped,
)
from crm_ingest.policy.connectors.meta import meta_items
from crm_ingest.policy.connectors.meta_leads import lead_as_incoming
from crm_schemas.envelope import IncomingEvent

PAYLOADS = Path(__file__).parent / "connector_payloads" / "meta"
CREATED = datetime(2015, 8, 21, 1, 26, 24, tzinfo=UTC)
LEAD = LeadToFetch("123123123123", "123123123", "12312312312", CREATED)


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def test_each_leadgen_change_is_a_lead_to_fetch_addressed_to_its_page() -> None:
    items = meta_items(payload("leadgen"))
    page = Addressee(ProviderIdKind.PAGE, "123123123")
    assert [(item.connector, item.provider_id, item.addressee) for item in items] == [
        (Connector.LEAD_ADS, "123123123123", page),
        (Connector.LEAD_ADS, "123123123124", page),
    ]
    # The documented ids are JSON numbers; they are read as the same ids in text.
    assert [item.judged for item in items] == [
        LEAD,
        LeadToFetch("123123123124", "123123123", "12312312312", CREATED),
    ]


def test_a_leadgen_value_without_page_id_is_addressed_to_the_entrys_page() -> None:
    document = payload("leadgen")
    del document["entry"][0]["changes"][0]["value"]["page_id"]
    first = meta_items(document)[0]
    assert first.addressee == Addressee(ProviderIdKind.PAGE, "153125381133")
    assert isinstance(first.judged, LeadToFetch)
    assert first.judged.page_id == "153125381133"


def test_other_page_changes_are_ignored_with_the_field_named() -> None:
    document = payload("leadgen")
    document["entry"][0]["changes"][1] = {"field": "feed", "value": {"item": "status"}}
    items = meta_items(document)
    assert isinstance(items[0].judged, LeadToFetch)
    assert items[1].judged == Skipped(SkipOutcome.IGNORED, "page change feed")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"page_id": 1, "created_time": 1440120384}, "value.leadgen_id"),
        ({"leadgen_id": 5, "page_id": 1}, "value.created_time"),
        ({"leadgen_id": 5, "page_id": 1, "created_time": "yesterday"}, "value.created_time"),
    ],
)
def test_a_leadgen_missing_an_id_or_time_is_rejected_naming_it(
    value: dict[str, Any], field: str
) -> None:
    document = payload("leadgen")
    document["entry"][0]["changes"] = [{"field": "leadgen", "value": value}]
    item = meta_items(document)[0]
    assert isinstance(item.judged, Skipped)
    assert item.judged.outcome is SkipOutcome.REJECTED
    assert f"entry[0].changes[0].{field}" in item.judged.reason


def test_the_graph_apis_lead_is_a_lead_qualified_from_ads_at_the_notifications_time() -> None:
    event = lead_as_incoming(LEAD, payload("lead_answer"), "car_make")
    assert event == {
        "event_name": "LEAD_QUALIFIED",
        "event_id": "leadgen:123123123123",
        "timestamp": CREATED,
        "source": "ads",
        "contact": {"email": "joe@example.com", "name": "Joe Example"},
        "properties": {
            "prospect_why": "Honda",
            "answers": {
                "car_make": "Honda",
                "full_name": "Joe Example",
                "email": "joe@example.com",
                "selected_dealer": "99213450",
            },
            "ad_id": "12312312312",
            "form_id": "12312312312",
        },
    }
    incoming = IncomingEvent.model_validate({**event, "account_id": "acme"})
    assert incoming.typed_properties().model_dump()["prospect_why"] == "Honda"


def test_several_values_stay_a_list_and_the_why_joins_them() -> None:
    answer = payload("lead_answer")
    answer["field_data"] = [
        {"name": "first_name", "values": ["Joe"]},
        {"name": "last_name", "values": ["Example"]},
        {"name": "phone_number", "values": ["+1 650 555 1234"]},
        {"name": "why_join", "values": ["more time", "family"]},
    ]
    event = lead_as_incoming(LEAD, answer, "why_join")
    assert isinstance(event, dict)
    assert event["contact"] == {"phone": "+1 650 555 1234", "name": "Joe Example"}
    assert event["properties"]["answers"]["why_join"] == ["more time", "family"]
    assert event["properties"]["prospect_why"] == "more time, family"
    assert IncomingEvent.model_validate({**event, "account_id": "acme"}).contact is not None


def test_without_a_why_question_the_answers_are_kept_and_no_why_is_made() -> None:
    event = lead_as_incoming(LEAD, payload("lead_answer"), None)
    assert isinstance(event, dict)
    assert "prospect_why" not in event["properties"]
    assert event["properties"]["answers"]["car_make"] == "Honda"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ([], "the Graph API's lead is not an object"),
        ({"id": "123123123123"}, "the Graph API's lead has no field_data list"),
        ({"field_data": "email"}, "the Graph API's lead has no field_data list"),
        ({"field_data": [{"values": ["a"]}]}, "field_data[0].name is missing"),
        ({"field_data": [{"name": "email", "values": "a"}]}, "field_data[0].values"),
        ({"field_data": [{"name": "email", "values": [1]}]}, "field_data[0].values"),
        ({"field_data": [{"name": "city", "values": ["Oslo"]}]}, "no email or phone_number"),
        ({"id": "999", "field_data": []}, "the Graph API's lead has another id"),
        (
            {"error": {"message": "Unsupported get request.", "type": "GraphMethodException"}},
            "the Graph API answered an error: Unsupported get request.",
        ),
    ],
)
def test_a_lead_of_the_wrong_shape_is_rejected_with_the_reason(answer: Any, reason: str) -> None:
    judged = lead_as_incoming(LEAD, answer, "why_join")
    assert isinstance(judged, Skipped)
    assert judged.outcome is SkipOutcome.REJECTED
    assert reason in judged.reason
