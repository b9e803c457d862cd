"""Storable values: text without NUL or lone surrogates, finite numbers a double can hold, each
refusal naming the place, in the shared types and in the envelopes that use them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_schemas.envelope import EventEnvelope, IncomingEvent
from crm_schemas.storable import (
    BAD_KEY_MESSAGE,
    NOT_FINITE_MESSAGE,
    NUL_MESSAGE,
    SURROGATE_MESSAGE,
    TOO_LARGE_MESSAGE,
    StorableBody,
    StorableNumber,
    StorableText,
    Unstorable,
    unstorable,
)

# As a client sends it: JSON escapes, parsed by Python's json (which takes NaN and Infinity).
HOSTILE = json.loads(
    '{"nul": "a\\u0000b", "surrogate": "x\\ud800", "low": "\\udfff", "nan": NaN,'
    ' "inf": Infinity, "minus_inf": -Infinity, "overflow": 1e400,'
    ' "deep": {"list": [1, "ok", {"x": "\\u0000"}]}, "pair": "\\ud83d\\ude00", "big": 1e308}'
)


def errors(error: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e["loc"]), e["msg"]) for e in error.errors()]


def test_the_walk_names_every_unstorable_place_and_nothing_else() -> None:
    assert unstorable(HOSTILE, ("body",)) == [
        Unstorable(("body", "nul"), NUL_MESSAGE),
        Unstorable(("body", "surrogate"), SURROGATE_MESSAGE),
        Unstorable(("body", "low"), SURROGATE_MESSAGE),
        Unstorable(("body", "nan"), NOT_FINITE_MESSAGE),
        Unstorable(("body", "inf"), NOT_FINITE_MESSAGE),
        Unstorable(("body", "minus_inf"), NOT_FINITE_MESSAGE),
        Unstorable(("body", "overflow"), NOT_FINITE_MESSAGE),
        Unstorable(("body", "deep", "list", 2, "x"), NUL_MESSAGE),
    ]


def test_a_surrogate_pair_emoji_and_ordinary_values_are_storable() -> None:
    ordinary = {"text": "Kari 😀 Ærø", "n": 10**300, "f": -1.5e308, "t": True, "none": None}
    assert unstorable(ordinary) == []
    assert unstorable(HOSTILE["pair"]) == []


def test_integers_and_decimals_beyond_a_double_are_refused() -> None:
    assert unstorable({"n": 10**400, "d": Decimal("1e999999")}) == [
        Unstorable(("n",), TOO_LARGE_MESSAGE),
        Unstorable(("d",), TOO_LARGE_MESSAGE),
    ]
    assert unstorable([Decimal("NaN"), Decimal("-Infinity")]) == [
        Unstorable((0,), NOT_FINITE_MESSAGE),
        Unstorable((1,), NOT_FINITE_MESSAGE),
    ]


def test_a_bad_key_is_named_at_its_object_and_never_echoed() -> None:
    found = unstorable({"ok": {"\ud800": "x", "a\x00": 1}, "\x00": {"nested": "\x00"}})
    assert found == [
        Unstorable(("ok",), BAD_KEY_MESSAGE),
        Unstorable(("ok",), BAD_KEY_MESSAGE),
        Unstorable((), BAD_KEY_MESSAGE),
    ]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StorableText | None = Field(default=None, max_length=20, pattern=r"^[^\n]*$")
    amount: StorableNumber = Decimal(0)


@pytest.mark.parametrize(
    ("given", "loc", "msg"),
    [
        ({"name": "a\x00"}, ("name",), NUL_MESSAGE),
        # Before the pattern: its own message would be about parsing, not this.
        ({"name": "\ud800"}, ("name",), SURROGATE_MESSAGE),
        ({"amount": "1e400"}, ("amount",), TOO_LARGE_MESSAGE),
        ({"amount": 10**309}, ("amount",), TOO_LARGE_MESSAGE),
    ],
)
def test_the_types_refuse_with_the_field_named(
    given: dict[str, Any], loc: tuple[Any, ...], msg: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Model.model_validate(given)
    assert errors(refused.value) == [(loc, msg)]


def test_the_types_keep_what_is_storable() -> None:
    kept = Model.model_validate({"name": "Kari 😀", "amount": 5})
    assert (kept.name, kept.amount) == ("Kari 😀", Decimal(5))


class Body(StorableBody):
    model_config = ConfigDict(extra="forbid")

    message: str | None = None
    nested: dict[str, Any] | None = None


def test_a_body_is_walked_whole_before_its_fields() -> None:
    with pytest.raises(ValidationError) as refused:
        Body.model_validate(
            {"message": "x\ud800", "nested": {"a": [float("inf")], "b": {"c": "\udc00"}}}
        )
    assert errors(refused.value) == [
        (("message",), SURROGATE_MESSAGE),
        (("nested", "a", 0), NOT_FINITE_MESSAGE),
        (("nested", "b", "c"), SURROGATE_MESSAGE),
    ]
    kept = Body.model_validate({"message": "ok", "nested": {"k": [1, 2.5, None, "😀"]}})
    assert kept.nested == {"k": [1, 2.5, None, "😀"]}
    # An unknown key that cannot be stored is named at the body, not echoed as extra_forbidden.
    with pytest.raises(ValidationError) as bad_key:
        Body.model_validate({"\ud800": 1})
    assert errors(bad_key.value) == [((), BAD_KEY_MESSAGE)]
    assert Body.model_validate({"message": "fine"}).message == "fine"


INCOMING: dict[str, Any] = {
    "event_name": "MESSAGE_RECEIVED",
    "event_id": "e-1",
    "timestamp": "2026-11-02T08:00:00Z",
    "account_id": "acme",
    "contact": {"email": "kari@example.com"},
    "source": "ig",
    "properties": {"channel": "ig"},
}


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        ({"event_id": "e\ud800"}, ("event_id",), SURROGATE_MESSAGE),
        ({"user_id": "u\x00"}, ("user_id",), NUL_MESSAGE),
        ({"contact": {"name": "\ud800", "email": "k@example.com"}}, ("contact", "name"), None),
        ({"utm": {"source": "\ud800"}}, ("utm", "source"), SURROGATE_MESSAGE),
        ({"consent": {"terms_version": "v\x00"}}, ("consent", "terms_version"), NUL_MESSAGE),
        (
            {"properties": {"channel": "ig", "text": "\ud800"}},
            ("properties", "text"),
            SURROGATE_MESSAGE,
        ),
        (
            {"properties": {"channel": "ig", "score": float("nan")}},
            ("properties", "score"),
            NOT_FINITE_MESSAGE,
        ),
        (
            {"properties": {"channel": "ig", "meta": {"w": [float("-inf")]}}},
            ("properties", "meta", "w", 0),
            NOT_FINITE_MESSAGE,
        ),
    ],
)
def test_an_incoming_event_refuses_unstorable_values(
    change: dict[str, Any], loc: tuple[Any, ...], msg: str | None
) -> None:
    with pytest.raises(ValidationError) as refused:
        IncomingEvent.model_validate({**INCOMING, **change})
    found = errors(refused.value)
    assert [where for where, _ in found] == [loc]
    if msg is not None:
        assert found[0][1] == msg


def test_a_purchase_amount_beyond_a_double_is_refused_not_dropped() -> None:
    purchase = {
        **INCOMING,
        "event_name": "PURCHASED",
        "properties": {"amount": "1e400", "currency": "EUR", "product_ids": ["p"]},
    }
    with pytest.raises(ValidationError) as refused:
        IncomingEvent.model_validate(purchase)
    assert errors(refused.value) == [(("properties", "amount"), TOO_LARGE_MESSAGE)]


def test_a_topic_envelope_is_checked_and_a_stored_one_taken_as_stored() -> None:
    body = {
        **INCOMING,
        "customer_id": "6f1c5e0e-0000-4000-8000-000000000000",
        "received_at": "2026-11-02T08:00:00Z",
        "producer": "ingest",
        "properties": {"channel": "ig", "note": "\x00"},
    }
    raw = json.dumps(body)
    with pytest.raises(ValidationError) as refused:
        EventEnvelope.from_json(raw)
    assert [where for where, _ in errors(refused.value)] == [("properties", "note")]
    # What a service stored was checked when it was consumed; it is not walked again.
    assert EventEnvelope.from_stored(raw).properties["note"] == "\x00"
