"""Envelopes and the catalog: golden samples, JSON round trips, required fields, legacy examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from crm_schemas.catalog import CATALOG, EXTERNAL_EVENTS, EventName, spec_of
from crm_schemas.envelope import EventEnvelope, IncomingEvent

GOLDEN = Path(__file__).parent / "golden" / "v1"
LEGACY = Path(__file__).parents[2] / "docs" / "concordance" / "legacy"


def golden(name: EventName) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name.value}.json").read_text())
    return data


def error_locs(error: ValidationError) -> list[tuple[Any, ...]]:
    return [tuple(e["loc"]) for e in error.errors()]


def test_every_catalog_event_has_a_golden_sample() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == {n.value for n in EventName}


@pytest.mark.parametrize("name", list(EventName))
def test_golden_sample_parses_and_round_trips_through_json(name: EventName) -> None:
    event = EventEnvelope.model_validate(golden(name))
    again = EventEnvelope.from_json(event.to_json())
    assert again == event
    assert again.event_name is name
    assert isinstance(again.typed_properties(), CATALOG[name].properties)


@pytest.mark.parametrize("name", list(EventName))
def test_a_stored_event_reads_back_equal_without_validating_its_properties_again(
    name: EventName,
) -> None:
    event = EventEnvelope.model_validate(golden(name))
    assert EventEnvelope.from_stored(event.to_json()) == event


def test_from_stored_trusts_properties_but_still_parses_the_envelope() -> None:
    data = golden(EventName.MEETING_BOOKED)
    data["properties"]["booking_time"] = "next tuesday"  # never stored by a service: trusted
    assert EventEnvelope.from_stored(json.dumps(data)).properties["booking_time"] == "next tuesday"
    data["timestamp"] = "not a time"
    with pytest.raises(ValidationError) as caught:
        EventEnvelope.from_stored(json.dumps(data))
    assert ("timestamp",) in error_locs(caught.value)


def _required_properties(name: EventName) -> list[str]:
    fields = CATALOG[name].properties.model_fields
    return [f.alias or key for key, f in fields.items() if f.is_required()]


@pytest.mark.parametrize("name", [n for n in EventName if _required_properties(n)])
def test_missing_required_property_is_named(name: EventName) -> None:
    for field in _required_properties(name):
        data = golden(name)
        del data["properties"][field]
        with pytest.raises(ValidationError) as caught:
            EventEnvelope.model_validate(data)
        assert ("properties", field) in error_locs(caught.value)


@pytest.mark.parametrize("field", ["event_name", "event_id", "timestamp", "account_id", "producer"])
def test_missing_envelope_field_is_named(field: str) -> None:
    data = golden(EventName.DM_STARTED)
    del data[field]
    with pytest.raises(ValidationError) as caught:
        EventEnvelope.model_validate(data)
    assert (field,) in error_locs(caught.value)


def test_wrong_property_type_is_named() -> None:
    data = golden(EventName.MEETING_BOOKED)
    data["properties"]["booking_time"] = "next tuesday"
    with pytest.raises(ValidationError) as caught:
        EventEnvelope.model_validate(data)
    assert ("properties", "booking_time") in error_locs(caught.value)


def test_naive_timestamp_is_refused() -> None:
    data = golden(EventName.DM_STARTED)
    data["timestamp"] = "2026-11-02T09:00:00"
    with pytest.raises(ValidationError) as caught:
        EventEnvelope.model_validate(data)
    assert ("timestamp",) in error_locs(caught.value)


def test_topic_envelope_ignores_unknown_fields_and_keys_by_customer() -> None:
    data = golden(EventName.VIDEO_SENT) | {"added_in_v2": {"x": 1}}
    event = EventEnvelope.model_validate(data)
    assert event.kafka_key == data["customer_id"].encode()
    coaching = EventEnvelope.model_validate(golden(EventName.COACHING_PROMPT))
    assert coaching.kafka_key == b"acme"


def test_customer_events_need_a_customer_id() -> None:
    data = golden(EventName.VIDEO_SENT)
    data["customer_id"] = None
    with pytest.raises(ValidationError, match="needs a customer_id"):
        EventEnvelope.model_validate(data)


def _incoming(name: EventName, **changes: Any) -> dict[str, Any]:
    data = golden(name)
    for key in ("received_at", "producer", "cause_event_id"):
        data.pop(key, None)
    return data | changes


@pytest.mark.parametrize("name", sorted(EXTERNAL_EVENTS))
def test_every_outside_event_is_accepted_from_clients(name: EventName) -> None:
    assert IncomingEvent.model_validate(_incoming(name)).event_name is name


@pytest.mark.parametrize("name", sorted(set(EventName) - EXTERNAL_EVENTS))
def test_system_events_are_refused_from_clients(name: EventName) -> None:
    with pytest.raises(ValidationError) as caught:
        IncomingEvent.model_validate(_incoming(name, source="ig"))
    assert ("event_name",) in error_locs(caught.value)


def test_client_cannot_claim_source_system() -> None:
    with pytest.raises(ValidationError) as caught:
        IncomingEvent.model_validate(_incoming(EventName.DM_STARTED, source="system"))
    assert ("source",) in error_locs(caught.value)


def test_incoming_needs_a_customer_id_or_an_identity() -> None:
    data = _incoming(EventName.DM_STARTED)
    del data["customer_id"]
    with pytest.raises(ValidationError, match="at least one identity"):
        IncomingEvent.model_validate(data)
    with_handle = data | {"contact": {"handles": {"ig": "anna.k"}}}
    assert IncomingEvent.model_validate(with_handle).contact is not None
    assert IncomingEvent.model_validate(data | {"user_id": "ig-1789"}).user_id == "ig-1789"


def test_incoming_refuses_unknown_top_level_fields_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        IncomingEvent.model_validate(_incoming(EventName.DM_STARTED, colour="red"))
    assert ("colour",) in error_locs(caught.value)


def test_event_id_at_most_255_characters() -> None:
    assert IncomingEvent.model_validate(_incoming(EventName.DM_STARTED, event_id="x" * 255))
    with pytest.raises(ValidationError) as caught:
        IncomingEvent.model_validate(_incoming(EventName.DM_STARTED, event_id="x" * 256))
    assert ("event_id",) in error_locs(caught.value)


def test_unknown_event_name_has_no_spec() -> None:
    assert spec_of("SOMETHING_FROM_THE_FUTURE") is None
    assert spec_of("NO_SHOW") is CATALOG[EventName.NO_SHOW]


# Examples in the shape of the legacy events.json: every event it knew, with its fields.
LEGACY_PROPERTIES: dict[str, dict[str, Any]] = {
    "DM_STARTED": {"text": "hey"},
    "LEAD_QUALIFIED": {"prospect_why": "extra income"},
    "MEETING_BOOKED": {"booking_time": "2026-11-05T18:00:00Z"},
    "MEETING_HELD": {},
    "NO_SHOW": {},
    "PURCHASED": {"amount": 120, "currency": "NOK", "product_ids": ["p-9"]},
    "JOINED_TEAM": {},
    "UNSUBSCRIBED": {},
}


def test_legacy_events_json_examples_still_parse() -> None:
    legacy = json.loads((LEGACY / "events.json").read_text())
    names = legacy["properties"]["event_name"]["enum"]
    assert set(names) == set(LEGACY_PROPERTIES)
    sources = legacy["properties"]["source"]["description"].split("|")
    for name in names:
        for source in sources:
            example = {
                "event_name": name,
                "event_id": f"legacy-{name}-{source}",
                "user_id": "17841400000000001",
                "account_id": "acme",
                "timestamp": "2026-11-02T09:00:00Z",
                "source": source,
                "properties": LEGACY_PROPERTIES[name],
                "consent": {"email": True, "sms": False, "messaging": True, "terms_version": "v3"},
                "utm": {"source": "ig", "medium": "dm", "campaign": "nov", "content": ""},
            }
            event = IncomingEvent.model_validate(example)
            assert event.event_name.value == name
            assert set(legacy["required"]) <= set(event.model_dump(exclude_none=True))


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "3000-01-01T00:00:00Z"]
)
def test_timestamps_outside_1970_to_3000_are_refused_by_name(moment: str) -> None:
    # A year-1 timestamp passed validation and then broke local-day arithmetic downstream.
    assert IncomingEvent.model_validate(
        _incoming(EventName.DM_STARTED, timestamp="1970-01-01T00:00:00Z")
    )
    with pytest.raises(ValidationError, match="must be from 1970-01-01") as caught:
        IncomingEvent.model_validate(_incoming(EventName.DM_STARTED, timestamp=moment))
    assert ("timestamp",) in error_locs(caught.value)


def test_a_booking_time_outside_the_range_is_refused() -> None:
    booked = _incoming(EventName.MEETING_BOOKED)
    booked["properties"] = {**booked["properties"], "booking_time": "0001-01-01T00:00:00Z"}
    with pytest.raises(ValidationError, match="must be from 1970-01-01"):
        IncomingEvent.model_validate(booked)
