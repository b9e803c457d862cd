"""The shared identity normalization and the cause values every service builds events with."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest

from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause, Command
from crm_schemas.identity import (
    email_sha256,
    is_sha256_hex,
    normalize_email,
    normalize_handle,
    normalize_phone,
    phone_sha256,
)

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [("412 34 567", "NO", "+4741234567"), ("+46 70 123 45 67", "no", "+46701234567")],
)
def test_valid_phones_become_e164_in_the_accounts_region(raw: str, region: str, e164: str) -> None:
    assert normalize_phone(raw, region) == e164


@pytest.mark.parametrize("raw", ["12", "+47 11111111", "not a number"])
def test_a_phone_that_cannot_exist_is_refused(raw: str) -> None:
    # +47 11111111 has Norway's length (possible) but lies in no assigned range (not valid).
    with pytest.raises(ValueError, match="phone"):
        normalize_phone(raw, "NO")


@pytest.mark.parametrize("raw", ["", "@", "  @ ", "kari nordmann"])
def test_handles_with_spaces_or_nothing_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="handle"):
        normalize_handle(raw)


def test_handles_and_emails_are_normalized() -> None:
    assert normalize_handle(" @Kari.N ") == "kari.n"
    assert normalize_email(" Kari@Example.COM ") == "kari@example.com"
    with pytest.raises(ValueError, match="email"):
        normalize_email("kari@")


def test_meta_hashes() -> None:
    assert email_sha256(" Kari@Example.com") == hashlib.sha256(b"kari@example.com").hexdigest()
    assert phone_sha256("+4741234567") == hashlib.sha256(b"4741234567").hexdigest()
    assert is_sha256_hex(email_sha256("a@b.no"))
    assert not is_sha256_hex("kari@example.com")


def test_a_cause_gives_its_id_and_time_to_what_it_emits() -> None:
    cause = Cause("ev-1", EventName.NO_SHOW.value, AT, received_at=AT.replace(minute=31))
    customer = uuid.uuid4()
    emit = {"producer": "x", "account_id": "a", "customer_id": customer, "properties": {}}
    first = cause.event(EventName.CUSTOMER_DELETED, **emit)
    again = cause.event(EventName.CUSTOMER_DELETED, **emit)
    assert first.event_id == again.event_id
    assert (first.cause_event_id, first.timestamp, first.producer) == ("ev-1", AT, "x")


def test_a_retried_command_causes_the_same_events() -> None:
    command = Command("a", actor_id="u-1", at=AT, idempotency_key="key-1")
    first = command.cause("PUT /api/customers/x", EventName.STATUS_CHANGED)
    assert first == command.cause("PUT /api/customers/x", EventName.STATUS_CHANGED)
    assert (first.timestamp, first.actor_id) == (AT, "u-1")
    without_key = Command("a", actor_id="u-1", at=AT)
    kind = "PUT /api/customers/x"
    leads_to = EventName.STATUS_CHANGED
    assert without_key.cause(kind, leads_to) != without_key.cause(kind, leads_to)
