"""Normalization of incoming events: sources, handles, emails, phones, hashes, time (pure)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_ingest.policy.normalization import (
    InvalidEvent,
    Normalized,
    content_hash,
    normalize_incoming,
    normalize_source,
)
from crm_schemas.account_settings import AutomationSettings, SettingsHistory
from crm_schemas.contact import Source
from crm_schemas.identity import (
    email_sha256,
    is_sha256_hex,
    normalize_email,
    normalize_handle,
    normalize_phone,
    phone_sha256,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def normalized(raw: dict[str, Any], *, region: str = "NO", account: str = "acme") -> Any:
    return checked(raw, region=region, account=account).event


def checked(raw: dict[str, Any], *, region: str = "NO", account: str = "acme") -> Normalized:
    return normalize_incoming(
        raw,
        account_id=account,
        settings=SettingsHistory([], AutomationSettings(default_region=region)),
        now=NOW,
        future_tolerance=timedelta(minutes=5),
        default_source=Source.MANUAL,
    )


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_name": "INVITE_SENT",
        "event_id": "evt-1",
        "timestamp": "2026-11-02T08:59:00Z",
        "contact": {"email": "Kari@Example.com"},
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("instagram", "ig"),
        ("Instagram", "ig"),
        (" IG ", "ig"),
        ("facebook", "messenger"),
        ("Facebook Messenger", "messenger"),
        ("WA", "whatsapp"),
        ("whatsapp", "whatsapp"),
        ("meta-ads", "ads"),
        ("website", "web"),
        ("manual", "manual"),
        ("carrier pigeon", "carrier_pigeon"),
    ],
)
def test_sources_take_their_canonical_names(raw: str, expected: str) -> None:
    assert normalize_source(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("@Kari.Nordmann", "kari.nordmann"), ("  KARI ", "kari"), ("@@x", "x"), ("ola_1", "ola_1")],
)
def test_handles_are_lowercased_without_at(raw: str, expected: str) -> None:
    assert normalize_handle(raw) == expected


@pytest.mark.parametrize("raw", ["@", "  ", "@ "])
def test_an_empty_handle_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="handle"):
        normalize_handle(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Kari@Example.COM ", "kari@example.com"),
        ("ola.nordmann+crm@gmail.com", "ola.nordmann+crm@gmail.com"),
        ("KARI@EXAMPLE.NO", "kari@example.no"),
    ],
)
def test_emails_are_trimmed_and_lowercased(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["not-an-email", "a@", "@example.com", "a b@example.com", ""])
def test_emails_are_syntax_checked(raw: str) -> None:
    with pytest.raises(ValueError, match="email"):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("412 34 567", "NO", "+4741234567"),
        ("+47 412 34 567", "NO", "+4741234567"),
        ("0047 41234567", "NO", "+4741234567"),
        ("070-123 45 67", "SE", "+46701234567"),
        ("+1 (202) 555-0143", "NO", "+12025550143"),
    ],
)
def test_phones_become_e164_in_the_accounts_region(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["12", "hello", "+47 1", ""])
def test_invalid_phones_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="phone"):
        normalize_phone(raw, "NO")


def test_meta_style_hashes_match_the_plain_identities() -> None:
    # Meta: SHA-256 of the lowercased email; of the phone's digits with country code, no '+'.
    assert email_sha256(" Kari@Example.com") == hashlib.sha256(b"kari@example.com").hexdigest()
    assert phone_sha256("+4741234567") == hashlib.sha256(b"4741234567").hexdigest()
    assert is_sha256_hex(email_sha256("a@b.no"))
    assert not is_sha256_hex("kari@example.com")


def test_an_incoming_event_is_normalized_for_the_account() -> None:
    result = normalized(
        event(
            source="Instagram",
            contact={
                "email": " Kari@Example.com ",
                "phone": "412 34 567",
                "handles": {"ig": "@Kari.N"},
                "email_sha256": "A" * 64,
            },
        )
    )
    assert result.account_id == "acme"
    assert result.source is Source.IG
    assert result.contact.email == "kari@example.com"
    assert result.contact.phone == "+4741234567"
    assert result.contact.handles.ig == "kari.n"
    assert result.contact.email_sha256 == "a" * 64


def test_an_event_without_source_gets_the_callers_default() -> None:
    assert normalized(event()).source is Source.MANUAL


def test_utm_and_consent_are_kept() -> None:
    result = normalized(
        event(consent={"messaging": False, "email": True}, utm={"source": "ig", "campaign": "x"})
    )
    assert result.consent.messaging is False
    assert result.utm.campaign == "x"


def locs(error: InvalidEvent) -> list[list[str | int]]:
    return [list(e.loc) for e in error.errors]


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (event(timestamp="2026-11-02T09:05:01Z"), ["body", "timestamp"]),
        (event(timestamp="2026-11-02T09:00:00"), ["body", "timestamp"]),  # naive
        (event(timestamp="yesterday"), ["body", "timestamp"]),
        (event(event_name="NOT_AN_EVENT"), ["body", "event_name"]),
        (event(event_name="CUSTOMER_CREATED"), ["body", "event_name"]),
        (event(source="system"), ["body", "source"]),
        (event(source="carrier pigeon"), ["body", "source"]),
        (event(contact={"email": "nope"}), ["body", "contact", "email"]),
        (event(contact={"phone": "12"}), ["body", "contact", "phone"]),
        (event(contact={"handles": {"ig": "@"}}), ["body", "contact", "handles", "ig"]),
        (event(contact={"handles": {"ig": "kari n"}}), ["body", "contact", "handles", "ig"]),
        (event(contact={"email_sha256": "xyz"}), ["body", "contact", "email_sha256"]),
        (event(event_id=""), ["body", "event_id"]),
        (event(event_id="x" * 256), ["body", "event_id"]),
        (event(account_id="other"), ["body", "account_id"]),
        (event(customer_id="not-a-uuid"), ["body", "customer_id"]),
        (event(properties="text"), ["body", "properties"]),
        (event(unexpected=True), ["body", "unexpected"]),
        (
            event(event_name="MEETING_BOOKED", properties={}),
            ["body", "properties", "booking_time"],
        ),
    ],
)
def test_bad_fields_are_named(raw: dict[str, Any], loc: list[str | int]) -> None:
    with pytest.raises(InvalidEvent) as caught:
        normalized(raw)
    assert loc in locs(caught.value) or any(
        found[: len(loc)] == loc for found in locs(caught.value)
    ), locs(caught.value)


@pytest.mark.parametrize("phone", ["12", "+47 1", "hello", "1234567"])
def test_a_phone_that_is_no_valid_number_is_left_off_the_event(phone: str) -> None:
    result = checked(event(contact={"email": "kari@example.com", "phone": phone}))
    assert result.dropped == ("phone",)
    assert result.event.contact is not None
    assert result.event.contact.phone is None
    assert result.event.contact.email == "kari@example.com"


def test_a_valid_phone_is_kept_and_nothing_is_dropped() -> None:
    result = checked(event(contact={"email": "kari@example.com", "phone": "412 34 567"}))
    assert result.dropped == ()
    assert result.event.contact is not None
    assert result.event.contact.phone == "+4741234567"


def test_an_invalid_phone_beside_a_customer_id_is_left_off() -> None:
    result = checked(event(contact={"phone": "12"}, customer_id=str(uuid.uuid4())))
    assert result.dropped == ("phone",)
    assert result.event.contact is not None
    assert result.event.contact.phone is None


def test_a_handle_with_spaces_is_refused() -> None:
    with pytest.raises(ValueError, match="spaces"):
        normalize_handle("kari nordmann")


def test_missing_event_id_and_who_it_is_about() -> None:
    raw = event()
    del raw["event_id"]
    raw["contact"] = {}
    with pytest.raises(InvalidEvent) as caught:
        normalized(raw)
    assert ["body", "event_id"] in locs(caught.value)


def test_a_timestamp_within_five_minutes_ahead_is_accepted() -> None:
    assert normalized(event(timestamp="2026-11-02T09:05:00Z")).timestamp == NOW + timedelta(
        minutes=5
    )


def test_the_content_hash_ignores_key_order_and_changes_with_content() -> None:
    first = normalized(event(contact={"email": "kari@example.com", "name": "Kari"}))
    same = normalized(event(contact={"name": "Kari", "email": " KARI@example.com"}))
    other = normalized(event(contact={"email": "kari@example.com", "name": "Kari N"}))
    assert content_hash(first) == content_hash(same)
    assert content_hash(first) != content_hash(other)


@given(st.from_regex(r"[a-z0-9._]{1,20}", fullmatch=True), st.sampled_from(["", "@", " @"]))
def test_handle_normalization_is_idempotent(handle: str, prefix: str) -> None:
    once = normalize_handle(prefix + handle.upper())
    assert normalize_handle(once) == once == handle.lower()


@given(st.integers(min_value=40_000_000, max_value=49_999_999))
def test_phone_normalization_is_idempotent(digits: int) -> None:
    try:
        once = normalize_phone(str(digits), "NO")
    except ValueError:
        return  # not every 8-digit string is an assigned Norwegian range
    assert normalize_phone(once, "NO") == once
    assert once.startswith("+47")


@given(
    st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True),
    st.sampled_from(["example.com", "Example.NO", "mail.Example.org"]),
)
def test_email_normalization_is_idempotent_and_hash_matches(local: str, domain: str) -> None:
    once = normalize_email(f" {local.upper()}@{domain} ")
    assert normalize_email(once) == once == once.lower()
    assert email_sha256(once) == email_sha256(f"{local}@{domain}")
