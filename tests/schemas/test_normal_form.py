"""A consumer's cheaper decoding gives what the full one gives.

A marked message (its producer's properties in this code's normal form) is validated but not
normalized again; that is the same only if normalizing is idempotent for every catalog model,
shown here over the golden samples and over generated variants of them. The byte scan that
spares the unstorable walk must never miss what the walk finds.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pydantic_core
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from crm_schemas.catalog import CATALOG, EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.instants import EARLIEST, LATEST, Instant
from crm_schemas.normal_form import MARK_KEY, is_marked, normal_form_mark, unmarked
from crm_schemas.storable import may_hold_unstorable, unstorable

from .test_envelope import golden

ISO_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def normalized(name: EventName, properties: dict[str, Any]) -> dict[str, Any]:
    model = CATALOG[name].properties
    dumped: dict[str, Any] = model.model_validate(properties).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return dumped


def full_and_marked(event: EventEnvelope) -> tuple[EventEnvelope, EventEnvelope]:
    """The event read as a consumer reads an unmarked body, and as it reads a marked one."""
    marked = event.to_message()
    assert is_marked(marked)
    assert not is_marked(event.to_json())
    return EventEnvelope.from_json(event.to_json()), EventEnvelope.from_json(marked)


@pytest.mark.parametrize("name", list(EventName))
def test_normalizing_a_golden_sample_again_changes_nothing(name: EventName) -> None:
    once = normalized(name, golden(name)["properties"])
    assert normalized(name, once) == once


@pytest.mark.parametrize("name", list(EventName))
def test_a_marked_golden_message_reads_as_the_full_decoding_reads_it(name: EventName) -> None:
    full, fast = full_and_marked(EventEnvelope.model_validate(golden(name)))
    assert fast == full
    assert fast.properties == full.properties


def _variants(value: Any) -> st.SearchStrategy[Any]:
    """What a sender may write for a value of the normal form: instants at any offset, numbers
    as text or float, objects with nulls and fields of the sender's own."""
    if isinstance(value, str) and ISO_INSTANT.match(value):
        moment = datetime.fromisoformat(value)
        offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
        return st.one_of(st.just(value), offsets.map(lambda tz: moment.astimezone(tz).isoformat()))
    if isinstance(value, bool) or value is None:
        return st.just(value)
    if isinstance(value, int | float):
        return st.sampled_from([value, float(value), str(value)])
    if isinstance(value, list):
        return st.tuples(*(_variants(item) for item in value)).map(list)
    if isinstance(value, dict):
        fields = st.fixed_dictionaries({key: _variants(item) for key, item in value.items()})
        own = st.dictionaries(st.sampled_from(["x_note", "x_n", "x_gone"]), json_values, max_size=3)
        return st.tuples(fields, own).map(lambda both: {**both[1], **both[0]})
    return st.just(value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


@st.composite
def sent_events(draw: st.DrawFn) -> tuple[EventName, dict[str, Any]]:
    name = draw(st.sampled_from(list(EventName)))
    return name, draw(_variants(golden(name)["properties"]))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(sent_events())
def test_normalizing_is_idempotent_for_what_senders_write(
    sent: tuple[EventName, dict[str, Any]],
) -> None:
    name, properties = sent
    try:
        event = EventEnvelope.model_validate(golden(name) | {"properties": properties})
    except ValidationError:
        return  # refused where it comes in; never on the topic
    once = normalized(name, properties)
    assert normalized(name, once) == once
    full, fast = full_and_marked(event)
    assert fast == full
    assert fast.properties == full.properties == once


def test_a_marked_message_is_still_validated_and_dead_letterable() -> None:
    booked = EventEnvelope.model_validate(golden(EventName.MEETING_BOOKED))
    body = json.loads(booked.to_message())
    assert MARK_KEY in body
    for bad in ("next tuesday", "\u0000"):
        body["properties"]["booking_time"] = bad
        raw = normal_form_mark() + json.dumps(body, separators=(",", ":")).encode()[1:]
        assert is_marked(raw)
        with pytest.raises(ValidationError) as caught:
            EventEnvelope.from_json(raw)
        assert ("properties", "booking_time") in [tuple(e["loc"]) for e in caught.value.errors()]


@pytest.mark.parametrize("bad", ["1e400", '"\\u0000"', "NaN"])
def test_unstorable_properties_are_refused_wherever_the_key_comes(bad: str) -> None:
    data = golden(EventName.CUSTOMER_UPDATED)
    properties = data.pop("properties")
    last = {**data, "contact": {"properties": {}}, "properties": properties}
    for body in (data | {"properties": properties}, last):
        text = json.dumps(body, separators=(",", ":")).replace('"Prefers evenings"', bad)
        with pytest.raises(ValidationError) as caught:
            EventEnvelope.from_json(text.encode())
        unstorable_at = [
            tuple(e["loc"]) for e in caught.value.errors() if e["type"] == "unstorable"
        ]
        assert unstorable_at == [("properties", "changes", "notes")]


def test_a_hand_written_body_loses_the_mark_it_was_copied_with() -> None:
    booked = EventEnvelope.model_validate(golden(EventName.MEETING_BOOKED))
    assert unmarked(booked.to_message()) == booked.to_json()
    assert unmarked(booked.to_json()) == booked.to_json()
    assert not is_marked(unmarked(booked.to_message()))


def test_a_body_with_another_mark_is_normalized_again() -> None:
    booked = golden(EventName.MEETING_BOOKED)
    booked["properties"]["booking_id"] = None  # not in the normal form, which has no nulls
    other = {MARK_KEY: "another-version", **booked}
    raw = json.dumps(other, separators=(",", ":")).encode()
    assert not is_marked(raw)
    assert "booking_id" not in EventEnvelope.from_json(raw).properties


# Documents as a JSON parser may meet them: texts with NUL and surrogate pairs, numbers near
# and beyond a double's range, NaN and the infinities.
_tricky_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.integers(300, 420).map(lambda e: 10**e),
    st.sampled_from(["1e400", "-1E+999", "1.5e308", "2e-400", "1" * 120, "0." + "0" * 120 + "1"]),
)
_tricky_text = st.lists(
    st.sampled_from(["a", "\x00", "\U0001f600", "é", "NaN", "e1", ":1", "\\u0000"]), max_size=4
).map("".join)
_documents = st.recursive(
    st.none() | st.booleans() | _tricky_numbers | _tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_tricky_text, inner, max_size=3),
    max_leaves=8,
)


def _json_text(document: Any, ascii_only: bool, spaced: bool) -> bytes:
    separators = (", ", ": ") if spaced else (",", ":")
    text = json.dumps(document, ensure_ascii=ascii_only, separators=separators)
    # Numbers given as strings above stand for number tokens, written bare.
    for token in ("1e400", "-1E+999", "1.5e308", "2e-400", "1" * 120, "0." + "0" * 120 + "1"):
        text = text.replace(f'"{token}"', token)
    return text.encode()


@settings(max_examples=500)
@given(_documents, st.booleans(), st.booleans())
def test_the_byte_scan_never_misses_what_the_walk_finds(
    document: Any, ascii_only: bool, spaced: bool
) -> None:
    raw = _json_text(document, ascii_only, spaced)
    try:
        parsed = pydantic_core.from_json(raw)
    except ValueError:
        return  # pydantic refuses the text before any walk
    if unstorable(parsed):
        assert may_hold_unstorable(raw)


def test_the_byte_scan_passes_ordinary_messages() -> None:
    for name in (EventName.NO_SHOW, EventName.STATUS_CHANGED, EventName.CUSTOMER_UPDATED):
        assert not may_hold_unstorable(EventEnvelope.model_validate(golden(name)).to_message())
    assert may_hold_unstorable(b'{"amount":1e400}')
    assert may_hold_unstorable(b'{"amount":1' + b"0" * 120 + b"}")


def _at_offset(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


_anywhen = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.integers(-23, 23).map(_at_offset),
)
_near_the_ends = st.tuples(
    st.sampled_from([EARLIEST, LATEST, EARLIEST - timedelta(microseconds=1)]),
    st.integers(-23, 23),
).map(lambda edge_hours: edge_hours[0].astimezone(_at_offset(edge_hours[1])))


@given(_anywhen | _near_the_ends)
def test_an_instant_is_in_range_exactly_when_it_is_between_1970_and_3000(moment: datetime) -> None:
    # The check compares only instants of the first and last year; every other is in range.
    adapter = TypeAdapter(Instant)
    inside = EARLIEST <= moment.astimezone(UTC) < LATEST
    try:
        adapter.validate_python(moment)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted is inside
