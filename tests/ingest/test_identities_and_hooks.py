"""Identities in priority order, and the DM and lead-ads payloads as incoming events (pure)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_ingest.policy.hooks import (
    as_message_received,
    capi_as_incoming,
    dm_as_incoming,
    lead_phone_field,
    parse_capi,
    parse_dm,
)
from crm_ingest.policy.identities import Identity, IdentityKind, claim_identities, identities_of
from crm_ingest.policy.normalization import InvalidEvent, normalize_incoming
from crm_ingest.schemas import ClaimedIdentities
from crm_schemas.account_settings import AutomationSettings, SettingsHistory
from crm_schemas.catalog import EventName
from crm_schemas.contact import Source

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SHA_EMAIL = hashlib.sha256(b"kari@example.com").hexdigest()


def incoming(raw: dict[str, Any], source: Source = Source.WEB) -> Any:
    return normalize_incoming(
        raw,
        account_id="acme",
        settings=SettingsHistory([], AutomationSettings(default_region="NO")),
        now=NOW,
        future_tolerance=timedelta(minutes=5),
        default_source=source,
    ).event


def dm(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "dm-1",
        "account_id": "acme",
        "platform": "instagram",
        "sender": {"id": "1789", "handle": "@Kari.N", "name": "Kari"},
        "text": "Hei!",
        "timestamp": "2026-11-02T08:59:00+01:00",
    }
    base.update(fields)
    return base


def test_identities_come_in_priority_order() -> None:
    event = incoming(
        {
            "event_name": "INVITE_SENT",
            "event_id": "e",
            "timestamp": "2026-11-02T08:00:00Z",
            "source": "ig",
            "user_id": "1789",
            "contact": {
                "external_id": "crm-7",
                "handles": {"ig": "kari.n"},
                "phone": "41234567",
                "email": "kari@example.com",
            },
        }
    )
    kinds = [identity.kind for identity in identities_of(event)]
    assert kinds == sorted(kinds)
    assert kinds[:5] == [
        IdentityKind.EMAIL,
        IdentityKind.PHONE,
        IdentityKind.PLATFORM_ID,
        IdentityKind.HANDLE,
        IdentityKind.EXTERNAL_ID,
    ]
    assert Identity(IdentityKind.PLATFORM_ID, "ig:1789") in identities_of(event)
    assert Identity(IdentityKind.HANDLE, "ig:kari.n") in identities_of(event)


def test_a_plain_email_also_stands_for_its_hash() -> None:
    event = incoming(
        {
            "event_name": "INVITE_SENT",
            "event_id": "e",
            "timestamp": "2026-11-02T08:00:00Z",
            "contact": {"email": "Kari@Example.com"},
        }
    )
    assert Identity(IdentityKind.EMAIL_SHA256, SHA_EMAIL) in identities_of(event)


def test_claimed_identities_match_event_identities() -> None:
    claimed = claim_identities(
        ClaimedIdentities(
            email="kari@example.com", handles={"ig": "kari.n"}, external_id="x"
        ).as_contact()
    )
    assert [identity.kind for identity in claimed] == [
        IdentityKind.EMAIL,
        IdentityKind.HANDLE,
        IdentityKind.EXTERNAL_ID,
        IdentityKind.EMAIL_SHA256,
    ]


def test_a_dm_becomes_dm_started_from_its_platform() -> None:
    event = incoming(dm_as_incoming(parse_dm(dm())), Source.WEB)
    assert event.event_name is EventName.DM_STARTED
    assert event.source is Source.IG
    assert event.user_id == "1789"
    assert event.contact.handles.ig == "kari.n"
    assert event.contact.name == "Kari"
    assert event.properties["text"] == "Hei!"
    assert event.timestamp == datetime(2026, 11, 2, 7, 59, tzinfo=UTC)


def test_a_later_dm_becomes_message_received_on_its_channel() -> None:
    later = as_message_received(incoming(dm_as_incoming(parse_dm(dm(platform="wa")))))
    assert later.event_name is EventName.MESSAGE_RECEIVED
    assert later.properties == {"channel": "whatsapp", "text": "Hei!"}


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"sender": {"name": "x"}}, ["body", "sender"]),
        ({"platform": "web"}, ["body"]),
        ({"timestamp": None}, ["body", "timestamp"]),
        ({"event_id": None}, ["body", "event_id"]),
    ],
)
def test_bad_dms_name_their_fields(fields: dict[str, Any], loc: list[str]) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_dm({k: v for k, v in dm(**fields).items() if v is not None})
    assert any(list(e.loc)[: len(loc)] == loc for e in caught.value.errors)


def lead(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "lead-1",
        "account_id": "acme",
        "event_time": 1_793_610_000,
        "user_data": {"em": SHA_EMAIL, "ph": "+47 412 34 567", "fn": "Kari", "ln": "N"},
        "lead": {"prospect_why": "Freedom", "city": "Oslo"},
        "custom_data": {"form_id": "f1"},
    }
    base.update(fields)
    return base


def test_a_capi_lead_becomes_lead_qualified_from_ads() -> None:
    parsed = parse_capi(lead())
    event = incoming(capi_as_incoming(parsed))
    assert event.event_name is EventName.LEAD_QUALIFIED
    assert event.source is Source.ADS
    assert event.timestamp == datetime.fromtimestamp(1_793_610_000, tz=UTC)
    assert event.contact.email_sha256 == SHA_EMAIL
    assert event.contact.email is None
    assert event.contact.phone == "+4741234567"
    assert event.contact.name == "Kari N"
    assert event.properties["prospect_why"] == "Freedom"
    assert event.properties["answers"] == {"prospect_why": "Freedom", "city": "Oslo"}
    assert event.properties["custom_data"] == {"form_id": "f1"}


def test_a_capi_lead_with_plain_email_in_the_form() -> None:
    raw = lead(user_data={}, lead={"email": " Kari@Example.com", "full_name": "Kari Nordmann"})
    event = incoming(capi_as_incoming(parse_capi(raw)))
    assert event.contact.email == "kari@example.com"
    assert event.contact.name == "Kari Nordmann"
    assert Identity(IdentityKind.EMAIL_SHA256, SHA_EMAIL) in identities_of(event)


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"event_time": None}, ["body"]),
        ({"event_time": "soon"}, ["body", "event_time"]),
        ({"user_data": {"em": "not-an-email"}}, ["body", "user_data", "em"]),
        ({"lead": {"email": 7}}, ["body", "lead", "email"]),
    ],
)
def test_bad_leads_name_their_fields(fields: dict[str, Any], loc: list[str]) -> None:
    raw = {k: v for k, v in lead(**fields).items() if v is not None}
    with pytest.raises(InvalidEvent) as caught:
        capi_as_incoming(parse_capi(raw))
    assert any(list(e.loc)[: len(loc)] == loc for e in caught.value.errors)


def test_a_lead_whose_phone_is_no_valid_number_keeps_its_other_identities() -> None:
    # Once a 422 naming user_data.ph; now the number is left off and the lead accepted.
    raw = lead(user_data={"em": SHA_EMAIL, "ph": "12"})
    event = incoming(capi_as_incoming(parse_capi(raw)))
    assert event.contact.phone is None
    assert event.contact.email_sha256 == SHA_EMAIL


def test_a_lead_naming_nobody_but_an_invalid_phone_is_refused_at_the_phone() -> None:
    raw = lead(user_data={"ph": "12"})
    with pytest.raises(InvalidEvent) as caught:
        incoming(capi_as_incoming(parse_capi(raw)))
    assert [list(e.loc) for e in caught.value.errors] == [["body", "contact", "phone"]]
    # The lead's sender wrote user_data.ph: the refusal is renamed to it (as the route does).
    renamed = caught.value.renamed(["body", "contact", "phone"], lead_phone_field(parse_capi(raw)))
    assert [list(e.loc) for e in renamed.errors] == [["body", "user_data", "ph"]]


@pytest.mark.parametrize(
    ("user_data", "form", "field"),
    [
        ({"ph": "12"}, None, ["body", "user_data", "ph"]),
        ({"ph": SHA_EMAIL}, {"phone": "12"}, ["body", "lead", "phone"]),
        ({"em": SHA_EMAIL}, {"phone": "12"}, ["body", "lead", "phone"]),
        ({"em": SHA_EMAIL}, None, None),
    ],
)
def test_a_leads_plain_phone_is_named_where_the_lead_wrote_it(
    user_data: dict[str, str], form: dict[str, str] | None, field: list[str] | None
) -> None:
    raw = {k: v for k, v in lead(user_data=user_data, lead=form).items() if v is not None}
    assert lead_phone_field(parse_capi(raw)) == field


def test_a_dm_sender_handle_with_spaces_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidEvent) as caught:
        dm_as_incoming(parse_dm(dm(sender={"id": "1789", "handle": "Kari Nordmann"})))
    assert [list(e.loc) for e in caught.value.errors] == [["body", "sender", "handle"]]
