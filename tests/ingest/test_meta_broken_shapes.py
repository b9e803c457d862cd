"""A Meta body of the wrong shape never raises: broken parts are rejected naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_ingest.policy.connectors.items import (
    Connector,
    Item,
    LeadToFetch,
    Mapped,
    SkipOutcome,
    Skipped,
)
from crm_ingest.policy.connectors.meta import meta_items
from crm_ingest.policy.connectors.meta_leads import lead_as_incoming
from crm_schemas.instants import EARLIEST, LATEST

PAYLOADS = Path(__file__).parent / "connector_payloads" / "meta"
OBJECTS = ("page", "instagram", "whatsapp_business_account")


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def rejection(item: Item) -> str:
    assert isinstance(item.judged, Skipped), item.judged
    assert item.judged.outcome is SkipOutcome.REJECTED
    return item.judged.reason


@pytest.mark.parametrize(
    "document",
    [None, [], "page", 3, {}, {"object": "user", "entry": []}, {"object": ["page"], "entry": []}],
)
def test_a_body_of_no_known_object_yields_nothing(document: Any) -> None:
    assert meta_items(document) == []


@pytest.mark.parametrize("obj", OBJECTS)
def test_entry_not_a_list_is_one_rejected_item(obj: str) -> None:
    item = meta_items({"object": obj, "entry": {"id": "1"}})[0]
    assert rejection(item) == "entry is not a list"


def test_an_entry_that_is_not_an_object_is_rejected_and_the_others_still_judged() -> None:
    document = payload("messenger_message")
    document["entry"].insert(0, "oops")
    items = meta_items(document)
    assert rejection(items[0]) == "entry[0] is not an object"
    assert isinstance(items[1].judged, Mapped)


def message_item(**changes: Any) -> dict[str, Any]:
    document = payload("messenger_message")
    item: dict[str, Any] = document["entry"][0]["messaging"][0]
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return document


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (message_item(sender=None), "entry[0].messaging[0].sender.id"),
        (message_item(sender={"user_ref": "abc"}), "entry[0].messaging[0].sender.id"),
        (message_item(timestamp=None), "entry[0].messaging[0].timestamp"),
        (message_item(timestamp="soon"), "entry[0].messaging[0].timestamp"),
        (message_item(timestamp=10**20), "entry[0].messaging[0].timestamp"),
        (message_item(message={"text": "no mid"}), "entry[0].messaging[0].message.mid"),
        (message_item(message="hello"), "entry[0].messaging[0].message"),
    ],
)
def test_a_message_missing_what_it_needs_is_rejected_naming_the_field(
    document: dict[str, Any], field: str
) -> None:
    assert field in rejection(meta_items(document)[0])


def test_an_entry_without_an_id_cannot_be_addressed_and_is_rejected() -> None:
    document = payload("instagram_message")
    del document["entry"][0]["id"]
    item = meta_items(document)[0]
    assert (item.connector, item.addressee) == (Connector.INSTAGRAM, None)
    assert rejection(item) == "entry[0].id is missing or not an id"


def test_messaging_items_that_are_not_objects_are_rejected_one_by_one() -> None:
    document = payload("messenger_message")
    document["entry"][0]["messaging"].insert(0, 7)
    items = meta_items(document)
    assert rejection(items[0]) == "entry[0].messaging[0] is not an object"
    assert isinstance(items[1].judged, Mapped)


def test_whatsapp_without_phone_number_id_is_rejected_naming_it() -> None:
    document = payload("whatsapp_text")
    del document["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
    item = meta_items(document)[0]
    assert item.addressee is None
    assert "value.metadata.phone_number_id" in rejection(item)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"from": None}, "messages[0].from"),
        ({"timestamp": "1749416383.5x"}, "messages[0].timestamp"),
        ({"id": None}, "messages[0].id"),
        ({"type": None}, "messages[0].type"),
    ],
)
def test_a_whatsapp_message_missing_what_it_needs_is_rejected(
    changes: dict[str, Any], field: str
) -> None:
    document = payload("whatsapp_text")
    message = document["entry"][0]["changes"][0]["value"]["messages"][0]
    for key, value in changes.items():
        if value is None:
            del message[key]
        else:
            message[key] = value
    assert field in rejection(meta_items(document)[0])


def test_unknown_whatsapp_message_types_and_fields_are_ignored_by_name() -> None:
    document = payload("whatsapp_text")
    message = document["entry"][0]["changes"][0]["value"]["messages"][0]
    message["type"] = "order"
    document["entry"][0]["changes"].append({"field": "account_update", "value": {}})
    assert [item.judged for item in meta_items(document)] == [
        Skipped(SkipOutcome.IGNORED, "message type order"),
        Skipped(SkipOutcome.IGNORED, "whatsapp change account_update"),
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(keys_in(child) for child in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(child) for child in value))
    return set()


FIXTURES = {path.stem: json.loads(path.read_text()) for path in sorted(PAYLOADS.glob("*.json"))}
DELIVERIES = [document for name, document in FIXTURES.items() if name != "lead_answer"]
# The keys Meta's documented payloads use, so that generated documents reach inner branches.
KEYS = st.sampled_from(sorted(keys_in(DELIVERIES)))
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from([*OBJECTS, "messages", "leadgen", "sent", "text", "1749416383"])
    | st.text(max_size=12)
)
# Documents shaped like Meta's, so that the mapper's inner branches are reached too.
META_LIKE = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=60,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        JSON,
        META_LIKE,
        st.builds(lambda o, e: {"object": o, "entry": e}, st.sampled_from(OBJECTS), META_LIKE),
    )
)
def test_any_json_value_maps_without_raising(document: Any) -> None:
    for item in meta_items(document):
        assert isinstance(item, Item)
        assert isinstance(item.provider_id, str)
        if isinstance(item.judged, Mapped):
            event = item.judged.event
            assert event["event_id"].split(":")[0] in {"meta", "wa", "wa-status"}
            assert EARLIEST <= event["timestamp"] < LATEST
            assert isinstance(event["user_id"], str)


def paths_in(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a document where a value sits."""
    children: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    found = [path]
    for key, child in children:
        found += paths_in(child, (*path, key))
    return found


def replaced(document: Any, path: tuple[str | int, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(document))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return copy


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_documented_payload_with_any_part_replaced_maps_without_raising(data: Any) -> None:
    document = data.draw(st.sampled_from(DELIVERIES))
    path = data.draw(st.sampled_from(paths_in(document)))
    broken = replaced(document, path, data.draw(META_LIKE | JSON))
    items = meta_items(broken)
    assert all(isinstance(item.judged, Mapped | LeadToFetch | Skipped) for item in items)
    assert all(isinstance(item.provider_id, str) and item.provider_id for item in items)


@settings(max_examples=300)
@given(st.one_of(JSON, META_LIKE))
def test_any_graph_api_answer_is_a_lead_or_a_reason(answer: Any) -> None:
    lead = LeadToFetch("1", "2", None, EARLIEST)
    judged = lead_as_incoming(lead, answer, "why_join")
    assert isinstance(judged, dict | Skipped)
    if isinstance(judged, dict):
        assert judged["event_id"] == "leadgen:1"
