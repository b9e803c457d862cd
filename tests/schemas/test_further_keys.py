"""consent and utm keep further keys beside the known ones, within their limits, from the
incoming envelope to the topic and back."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from crm_schemas.contact import MAX_FURTHER_KEYS, Consent, Utm
from crm_schemas.envelope import EventEnvelope, IncomingEvent

INCOMING: dict[str, Any] = {
    "event_name": "LEAD_QUALIFIED",
    "event_id": "lead-1",
    "timestamp": "2026-11-02T09:00:00Z",
    "contact": {"email": "ada@example.no"},
    "source": "ads",
    "consent": {"messaging": True, "marketing": False},
    "utm": {"source": "meta", "gclid": "Cj0KCQ", "fbclid": "IwAR", "score": 3},
}


def test_further_keys_travel_from_the_incoming_event_to_the_topic_and_back() -> None:
    incoming = IncomingEvent.model_validate(INCOMING)
    envelope = EventEnvelope.model_validate(
        {
            **incoming.model_dump(mode="json", exclude_none=True),
            "account_id": "acme",
            "customer_id": "6f1c1f0e-8a7c-4d55-9a8e-2b7f6f0a1c11",
            "received_at": "2026-11-02T09:00:01Z",
            "producer": "ingest",
        }
    )
    again = EventEnvelope.from_json(envelope.to_json())
    assert again.consent is not None
    assert again.utm is not None
    assert again.consent.model_dump(exclude_none=True) == INCOMING["consent"]
    assert again.utm.model_dump(exclude_none=True) == INCOMING["utm"]
    assert again.consent.messaging is True  # the known keys stay typed


@pytest.mark.parametrize(
    ("model", "given", "loc"),
    [
        (Consent, {"marketing": {"nested": True}}, ("marketing",)),
        (Consent, {"marketing": ["a"]}, ("marketing",)),
        (Utm, {"gclid": "x" * 256}, ("gclid",)),
        (Utm, {"gclid": "a\x00b"}, ("gclid",)),
        (Utm, {"k" * 65: "v"}, ()),
        (Utm, {f"k{i}": "v" for i in range(MAX_FURTHER_KEYS + 1)}, ()),
        (Consent, {"messaging": "maybe"}, ("messaging",)),
    ],
)
def test_further_keys_beyond_the_limits_are_refused_naming_them(
    model: type[Consent | Utm], given: dict[str, Any], loc: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(given)
    assert loc in [tuple(error["loc"]) for error in refused.value.errors()]


def test_further_keys_at_the_limits_are_kept() -> None:
    given = {f"k{i}": "v" * 255 for i in range(MAX_FURTHER_KEYS)}
    assert Utm.model_validate(given).model_dump(exclude_none=True) == given
