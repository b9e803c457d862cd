"""Each endpoint puts a valid event on the topic with the right key, fields and customer."""

from __future__ import annotations

import hashlib
from typing import Any

from crm_schemas.catalog import EventName
from crm_schemas.contact import Source

from .conftest import new_id
from .support import Ingest


def invite(event_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_name": "INVITE_SENT",
        "event_id": event_id,
        "timestamp": "2026-11-02T08:30:00+01:00",
        "source": "Instagram",
        "contact": {"email": " Kari@Example.com", "handles": {"ig": "@Kari.N"}},
        "utm": {"campaign": "winter"},
        "properties": {"channel": "ig"},
    }
    body.update(fields)
    return body


async def test_a_token_event_is_published_keyed_by_its_customer(ingest: Ingest) -> None:
    event_id = new_id()
    answer = await ingest.client.post(
        "/api/events", json=invite(event_id), headers=ingest.auth(sub="marketer-7")
    )
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "accepted"
    assert body["event_id"] == event_id
    (published,) = await ingest.published_with(event_id)
    envelope = published.envelope
    assert published.key == body["customer_id"].encode()
    assert str(envelope.customer_id) == body["customer_id"]
    assert published.headers == {
        "event_name": "INVITE_SENT",
        "account_id": "acme",
        "event_id": event_id,
    }
    assert envelope.account_id == "acme"
    assert envelope.source is Source.IG
    assert envelope.contact is not None
    assert envelope.contact.email == "kari@example.com"
    assert envelope.contact.handles is not None
    assert envelope.contact.handles.ig == "kari.n"
    assert envelope.utm is not None
    assert envelope.utm.campaign == "winter"
    assert envelope.actor_id == "marketer-7"
    assert envelope.producer == "ingest"
    assert envelope.schema_version == 1
    assert envelope.received_at == ingest.clock.now()


async def test_a_signed_event_without_token_is_published(ingest: Ingest) -> None:
    event_id = new_id()
    answer = await ingest.post_signed("/api/events", invite(event_id, account_id="acme"))
    assert answer.status_code == 202, answer.text
    (published,) = await ingest.published_with(event_id)
    assert published.envelope.actor_id is None


async def test_dms_start_then_continue_a_conversation(ingest: Ingest) -> None:
    first, second = new_id("dm"), new_id("dm")
    dm: dict[str, Any] = {
        "account_id": "acme",
        "platform": "instagram",
        "sender": {"id": "ig-1789", "handle": "@Kari.N", "name": "Kari"},
        "text": "Hei!",
        "timestamp": "2026-11-02T08:00:00Z",
        "consent": {"messaging": True},
    }
    one = await ingest.post_signed("/api/hooks/dm", {**dm, "event_id": first})
    two = await ingest.post_signed(
        "/api/hooks/dm", {**dm, "event_id": second, "sender": {"id": "ig-1789"}, "text": "Så?"}
    )
    assert one.status_code == two.status_code == 202, (one.text, two.text)
    assert one.json()["customer_id"] == two.json()["customer_id"]
    (started,) = await ingest.published_with(first)
    (received,) = await ingest.published_with(second)
    assert started.envelope.event_name is EventName.DM_STARTED
    assert started.envelope.source is Source.IG
    assert started.envelope.user_id == "ig-1789"
    assert started.envelope.properties["sender_handle"] == "kari.n"
    assert started.envelope.consent is not None
    assert started.envelope.consent.messaging is True
    assert received.envelope.event_name is EventName.MESSAGE_RECEIVED
    assert received.envelope.properties == {"channel": "ig", "text": "Så?"}
    assert received.key == started.key


async def test_a_hashed_email_lead_matches_the_customer_first_seen_by_plain_email(
    ingest: Ingest,
) -> None:
    plain = await ingest.client.post(
        "/api/events",
        json=invite(new_id(), contact={"email": "Ola@Example.no"}),
        headers=ingest.auth(),
    )
    assert plain.status_code == 202, plain.text
    lead_id = new_id("lead")
    lead = {
        "event_id": lead_id,
        "account_id": "acme",
        "event_time": int(ingest.clock.now().timestamp()) - 60,
        "user_data": {"em": hashlib.sha256(b"ola@example.no").hexdigest(), "fn": "Ola"},
        "lead": {"prospect_why": "More time with the kids"},
    }
    answer = await ingest.post_signed("/api/hooks/capi/lead", lead)
    assert answer.status_code == 202, answer.text
    assert answer.json()["customer_id"] == plain.json()["customer_id"]
    (published,) = await ingest.published_with(lead_id)
    envelope = published.envelope
    assert envelope.event_name is EventName.LEAD_QUALIFIED
    assert envelope.source is Source.ADS
    assert int(envelope.timestamp.timestamp()) == lead["event_time"]
    assert envelope.properties["prospect_why"] == "More time with the kids"


async def test_an_unsigned_account_may_post_without_signature(ingest: Ingest) -> None:
    answer = await ingest.client.post(
        "/api/events", json=invite(new_id(), account_id="devbox", contact={"external_id": "x1"})
    )
    assert answer.status_code == 202, answer.text
