"""The share of a history sent as the providers' own deliveries: who writes through Meta or
WhatsApp and how their other events name them, which bookings a tool makes, the ids ingest
publishes them under, and the bodies in the providers' documented shapes."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_backtest.accounts import DEFAULT_ACCOUNTS
from crm_backtest.generator import _as_provider_contact, _tied, generate
from crm_backtest.history import Contact, Delivery, Fact, History
from crm_backtest.provider_routes import PROVIDER_ROUTES

ANCHOR = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
DOCUMENTED = Path(__file__).parent / "provider_payloads"


@pytest.fixture(scope="module")
def history() -> History:
    # 2,000 contacts, so even the rarest provider delivery (a Cal.com cancellation) is there.
    return generate(2000, seed=7, anchor=ANCHOR)


def _originals(history: History) -> list[Delivery]:
    return [d for d in history.deliveries if not d.duplicate]


def test_about_a_third_of_the_dm_contacts_write_through_meta_on_each_platform(
    history: History,
) -> None:
    dm = [c for c in history.contacts if c.origin == "dm"]
    provider = [c for c in dm if c.platform_id is not None]
    assert 0.25 <= len(provider) / len(dm) <= 0.4
    assert Counter(c.platform for c in provider).keys() == {"ig", "messenger", "whatsapp"}
    assert len({c.platform_id for c in provider}) == len(provider)
    for contact in provider:
        digits = contact.platform_id or ""
        assert digits.isdigit()
        if contact.platform == "whatsapp":  # a German mobile number's digits: +49 17x
            assert digits.startswith("4917")
            assert len(digits) == 13


def test_a_provider_contact_starts_with_a_meta_delivery_addressed_to_its_account(
    history: History,
) -> None:
    contact_of = {c.key: c for c in history.contacts}
    seen: set[str] = set()
    for delivery in _originals(history):
        contact = contact_of[delivery.contact]
        if contact.platform_id is None or delivery.contact in seen:
            continue
        seen.add(delivery.contact)
        assert delivery.route == "meta"
        profile = history.profile(delivery.account_id)
        entry = delivery.body["entry"][0]
        if contact.platform == "whatsapp":
            value = entry["changes"][0]["value"]
            assert value["metadata"]["phone_number_id"] == profile.whatsapp_phone_number_id
            assert value["messages"][0]["from"] == contact.platform_id
            assert value["contacts"][0]["wa_id"] == contact.platform_id
            assert value["contacts"][0]["profile"]["name"]
            assert delivery.published_event_id == f"wa:{delivery.event_id}"
        else:
            owner = profile.page_id if contact.platform == "messenger" else (
                profile.instagram_account_id
            )  # fmt: skip
            assert (
                delivery.body["object"]
                == {"messenger": "page", "ig": "instagram"}[contact.platform]
            )
            assert entry["id"] == owner
            assert entry["messaging"][0]["sender"]["id"] == contact.platform_id
            assert delivery.published_event_id == f"meta:{delivery.event_id}"
    assert len(seen) > 150


def test_a_provider_contacts_other_events_name_them_by_the_platform_id(history: History) -> None:
    contact_of = {c.key: c for c in history.contacts}
    envelopes = 0
    for delivery in history.deliveries:
        contact = contact_of[delivery.contact]
        if contact.platform_id is None:
            continue
        assert delivery.route != "dm"  # a DM webhook would name a handle Meta never sends
        if delivery.route in ("event", "batch"):
            envelopes += 1
            assert delivery.body["user_id"] == contact.platform_id
            assert delivery.body["source"] == contact.platform
            assert "contact" not in delivery.body
    assert envelopes > 300


def test_replies_go_as_echoes_and_whatsapp_sent_statuses(history: History) -> None:
    contact_of = {c.key: c for c in history.contacts}
    kinds: Counter[str] = Counter()
    for delivery in _originals(history):
        contact = contact_of[delivery.contact]
        if delivery.route != "meta" or not delivery.published_event_id.startswith(
            ("wa-status:", "meta:")
        ):
            continue
        entry = delivery.body["entry"][0]
        if delivery.published_event_id.startswith("wa-status:"):
            status = entry["changes"][0]["value"]["statuses"][0]
            assert (status["status"], status["recipient_id"]) == ("sent", contact.platform_id)
            assert delivery.published_event_id == f"wa-status:{delivery.event_id}:sent"
            kinds["status"] += 1
        elif entry["messaging"][0]["message"].get("is_echo"):
            item = entry["messaging"][0]
            assert item["sender"]["id"] == entry["id"]
            assert item["recipient"]["id"] == contact.platform_id
            kinds["echo"] += 1
    assert kinds["status"] > 5
    assert kinds["echo"] > 10


def test_a_share_of_bookings_are_made_in_a_tool_with_an_email_never_seen_elsewhere(
    history: History,
) -> None:
    fact_of = {f.event_id: f for f in history.facts}
    booked = [d for d in _originals(history) if fact_of[d.event_id].name == "MEETING_BOOKED"]
    by_tool = Counter(d.route for d in booked)
    assert 0.3 <= (by_tool["calendly"] + by_tool["calcom"]) / len(booked) <= 0.5
    assert by_tool["calendly"] > 20
    assert by_tool["calcom"] > 20
    emails = [_invitee_email(d) for d in history.deliveries if d.route in ("calendly", "calcom")]
    elsewhere = json.dumps([d.body for d in history.deliveries if d.route not in PROVIDER_ROUTES])
    assert not any(email in elsewhere for email in emails)
    for delivery in booked:
        if delivery.route == "calendly":
            payload = delivery.body["payload"]
            assert payload["scheduled_event"]["start_time"].startswith(
                fact_of[delivery.event_id].booking_time.strftime("%Y-%m-%dT%H")  # type: ignore[union-attr]
            )
            assert delivery.published_event_id == f"calendly:{payload['uri']}:invitee.created"
        if delivery.route == "calcom":
            assert delivery.body["payload"]["metadata"] == {}  # the link's reference, at send
            assert delivery.published_event_id.endswith(":BOOKING_CREATED")


def test_a_tool_bookings_no_show_and_cancellation_follow_it_in_the_same_tool(
    history: History,
) -> None:
    fact_of = {f.event_id: f for f in history.facts}
    tool_of: dict[str, str | None] = {}
    followed: Counter[str] = Counter()
    for delivery in _originals(history):
        name = fact_of[delivery.event_id].name
        if name == "MEETING_BOOKED":
            tool_of[delivery.contact] = (
                delivery.route if delivery.route in PROVIDER_ROUTES else None
            )
        elif name in ("NO_SHOW", "MEETING_CANCELED") and delivery.route in PROVIDER_ROUTES:
            assert delivery.route == tool_of[delivery.contact]
            followed[f"{delivery.route} {name}"] += 1
        elif name in ("NO_SHOW", "MEETING_CANCELED"):
            assert tool_of.get(delivery.contact) is None
    assert followed["calendly NO_SHOW"]
    assert followed["calcom NO_SHOW"]


def test_facts_sharing_a_second_keep_the_crms_routes_and_their_contact_stays_off_meta() -> None:
    contact = Contact("c1", "demo-ny", "dm", "ig", handle="h1")
    at = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    facts = [Fact("bt-1", "DM_STARTED", at, "c1", "demo-ny"),
             Fact("bt-2", "MESSAGE_SENT", at, "c1", "demo-ny"),
             Fact("bt-3", "INVITE_SENT", at + timedelta(hours=1), "c1", "demo-ny")]  # fmt: skip
    assert _tied({"c1": facts}) == {"bt-1", "bt-2"}
    profile = DEFAULT_ACCOUNTS[0]
    assert _as_provider_contact(contact, facts, profile, "tag", roll=0.0).platform_id is None
    apart = [facts[0], replace(facts[1], at=at + timedelta(seconds=30)), facts[2]]
    assert _as_provider_contact(contact, apart, profile, "tag", roll=0.0).platform_id


def test_the_ids_it_is_published_under(history: History) -> None:
    for delivery in history.deliveries:
        eid, published = delivery.event_id, delivery.published_event_id
        if delivery.route == "meta":
            assert published in (f"meta:{eid}", f"wa:{eid}", f"wa-status:{eid}:sent")
        elif delivery.route in PROVIDER_ROUTES:
            assert published.startswith(f"{delivery.route}:")
        else:
            assert published == eid


def _paths(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        found = {prefix} if prefix else set()
        for key, inner in value.items():
            found |= _paths(inner, f"{prefix}.{key}" if prefix else key)
        return found
    if isinstance(value, list):
        return {prefix}.union(*(_paths(item, f"{prefix}[]") for item in value))
    return {prefix}


@pytest.mark.parametrize(
    ("documented", "published_prefix"),
    [
        ("messenger_message.json", "meta:"),
        ("instagram_message.json", "meta:"),
        ("messenger_echo.json", "meta:"),
        ("whatsapp_text.json", "wa:"),
        ("whatsapp_status_sent.json", "wa-status:"),
        ("calendly_invitee_created.json", "calendly:"),
        ("calendly_invitee_canceled.json", "calendly:"),
        ("calendly_invitee_no_show_created.json", "calendly:"),
        ("calcom_booking_created.json", "calcom:"),
        ("calcom_booking_cancelled.json", "calcom:"),
        ("calcom_booking_no_show_updated.json", "calcom:"),
    ],
)
def test_each_body_keeps_to_the_fields_and_nesting_of_the_documented_example(
    history: History, documented: str, published_prefix: str
) -> None:
    example = json.loads((DOCUMENTED / documented).read_text())
    kind = _kind(example)
    bodies = [
        d.body for d in history.deliveries if d.route in PROVIDER_ROUTES and _kind(d.body) == kind
    ]
    assert bodies, documented
    allowed = _paths(example)
    for body in bodies[:50]:
        assert _paths(body) <= allowed, sorted(_paths(body) - allowed)
    assert all(
        d.published_event_id.startswith(published_prefix)
        for d in history.deliveries
        if d.route in PROVIDER_ROUTES and _kind(d.body) == kind
    )


def _kind(body: dict[str, Any]) -> str:
    """What a provider body is, from the fields the providers name it by."""
    if "triggerEvent" in body:
        return str(body["triggerEvent"])
    if "event" in body and "payload" in body:
        return str(body["event"])
    entry = body["entry"][0]
    if body["object"] == "whatsapp_business_account":
        value = entry["changes"][0]["value"]
        return "wa status" if "statuses" in value else "wa message"
    item = entry["messaging"][0]
    return f"{body['object']} {'echo' if item['message'].get('is_echo') else 'message'}"


def _invitee_email(delivery: Delivery) -> str:
    payload = delivery.body["payload"]
    if delivery.route == "calendly":
        return str(payload["email"])
    return str(payload["attendees"][0]["email"])
