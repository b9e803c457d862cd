"""Deterministic ids of system events."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from crm_schemas.ids import api_action_id, system_event_id

text = st.text(min_size=1, max_size=20)


def test_stable_across_calls_and_a_uuid5() -> None:
    first = system_event_id("acme", "evt-1", "REMINDER_CREATED", "follow_up_24h")
    assert first == system_event_id("acme", "evt-1", "REMINDER_CREATED", "follow_up_24h")
    assert first.version == 5
    # Pinned: a changed namespace or name layout would re-id every event on the next rebuild.
    assert str(first) == "2cf24924-51f2-5987-b8ed-e5d0d7f561fe"


@given(a=text, b=text, cause=text, kind=text, disc=st.text(max_size=10))
def test_differs_across_accounts(a: str, b: str, cause: str, kind: str, disc: str) -> None:
    if a != b:
        assert system_event_id(a, cause, kind, disc) != system_event_id(b, cause, kind, disc)


def test_parts_cannot_run_into_each_other() -> None:
    assert system_event_id("a|b", "c", "k") != system_event_id("a", "b|c", "k")
    assert system_event_id("acme", "e", "k", "x") != system_event_id("acme", "e", "kx", "")


def test_api_action_id_follows_the_idempotency_key() -> None:
    keyed = api_action_id("acme", "key-1", "next_stage")
    assert keyed == api_action_id("acme", "key-1", "next_stage")
    assert keyed != api_action_id("other", "key-1", "next_stage")
    assert api_action_id("acme", None, "next_stage") != api_action_id("acme", None, "next_stage")
    assert isinstance(api_action_id("acme", None, "x"), uuid.UUID)


def test_system_event_is_deterministic_and_carries_its_cause() -> None:
    from datetime import UTC, datetime

    from crm_schemas.catalog import EventName
    from crm_schemas.system_events import system_event
    from crm_schemas.system_properties import CustomerDeleted

    when = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    args = {
        "name": EventName.CUSTOMER_DELETED,
        "account_id": "acme",
        "customer_id": uuid.UUID(int=7),
        "properties": CustomerDeleted(reason="asked"),
        "cause_event_id": "req-1",
        "timestamp": when,
        "producer": "customers",
    }
    first = system_event(**args, received_at=when)  # type: ignore[arg-type]
    later = system_event(**args, received_at=datetime(2027, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    assert first.event_id == later.event_id
    assert (first.source.value, first.cause_event_id, first.timestamp) == ("system", "req-1", when)
    assert first.properties == {"reason": "asked"}
