"""The AsyncAPI document is valid AsyncAPI 3.0.0 (the official JSON Schema), and every golden
sample of the topic, with the headers its producer writes, is valid against its message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from crm_devstack.contract.cli import ASYNCAPI_FILE, default_directory
from crm_schemas.catalog import CATALOG, EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.normal_form import MARK_KEY
from crm_schemas.topics import DLQ_TOPIC, EVENTS_TOPIC, headers_dict, message_headers
from crm_servicekit.delivery import Delivery
from crm_servicekit.dlq import DeadLetter

from .official_schemas import asyncapi_3_schema

GOLDEN = Path(__file__).parents[1] / "schemas" / "golden" / "v1"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((default_directory() / ASYNCAPI_FILE).read_text())
    return loaded


def _validator(document: dict[str, Any], pointer: str) -> Draft202012Validator:
    # The document itself is the root resource, so the payloads' $refs into
    # components/schemas resolve; its own keys are no JSON Schema keywords.
    return Draft202012Validator({**document, "$ref": f"#/{pointer}"})


def test_the_document_is_valid_asyncapi_3(document: dict[str, Any]) -> None:
    errors = [
        f"{list(error.absolute_path)}: {error.message}"
        for error in Draft7Validator(asyncapi_3_schema()).iter_errors(document)
    ]
    assert errors == []


def test_each_topic_and_every_event_has_its_message(document: dict[str, Any]) -> None:
    channels = document["channels"]
    assert channels["events"]["address"] == EVENTS_TOPIC
    assert channels["deadLetters"]["address"] == DLQ_TOPIC
    assert set(channels["events"]["messages"]) == {name.value for name in CATALOG}


@pytest.mark.parametrize("name", list(EventName))
def test_the_golden_sample_and_its_headers_are_valid_against_its_message(
    document: dict[str, Any], name: EventName
) -> None:
    sample = json.loads((GOLDEN / f"{name.value}.json").read_text())
    payload = _validator(document, f"components/messages/{name.value}/payload")
    assert [error.message for error in payload.iter_errors(sample)] == []
    written = message_headers(sample["event_name"], sample["account_id"], sample["event_id"])
    headers = _validator(document, f"components/messages/{name.value}/headers")
    assert [error.message for error in headers.iter_errors(headers_dict(written))] == []


@pytest.mark.parametrize("name", [EventName.NO_SHOW, EventName.REMINDER_CREATED])
def test_a_message_as_its_producer_publishes_it_is_valid_and_its_mark_documented(
    document: dict[str, Any], name: EventName
) -> None:
    sample = EventEnvelope.from_json((GOLDEN / f"{name.value}.json").read_bytes())
    published = json.loads(sample.to_message())
    assert MARK_KEY in published  # the producer's mark, first in the body
    payload = _validator(document, f"components/messages/{name.value}/payload")
    assert [error.message for error in payload.iter_errors(published)] == []
    envelope = document["components"]["schemas"]["EventEnvelope"]
    assert envelope["properties"][MARK_KEY]["type"] == "string"
    assert MARK_KEY not in envelope.get("required", [])


def test_a_sample_that_breaks_its_event_schema_is_invalid(document: dict[str, Any]) -> None:
    sample = json.loads((GOLDEN / "MEETING_BOOKED.json").read_text())
    del sample["properties"]["booking_time"]
    payload = _validator(document, "components/messages/MEETING_BOOKED/payload")
    assert [error.message for error in payload.iter_errors(sample)] == [
        "'booking_time' is a required property"
    ]
    no_show = json.loads((GOLDEN / "NO_SHOW.json").read_text())
    assert not payload.is_valid(no_show)  # another event's message is not this one's


def test_a_dead_letter_as_written_is_valid_and_its_every_header_is_published(
    document: dict[str, Any],
) -> None:
    original = Delivery(
        topic=EVENTS_TOPIC,
        partition=3,
        offset=17,
        key=b"customer-1",
        value=b"{}",
        headers=message_headers("NO_SHOW", "account-1", "event-1"),
    )
    letter = DeadLetter(original, "Traceback ...\nValueError: boom", "handler_error", 3, "rules")
    written = headers_dict(letter.record().headers)
    message = document["components"]["messages"]["DeadLetter"]["headers"]
    headers = _validator(document, "components/messages/DeadLetter/headers")
    assert [error.message for error in headers.iter_errors(written)] == []
    # What the writer adds is what the document describes, header for header.
    assert set(written) == set(message["properties"])
