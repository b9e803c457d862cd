"""Identities that cannot be kept: a phone that is no valid number is left off and counted, a
handle with spaces is refused naming its field (through the HTTP API, against real servers)."""

from __future__ import annotations

import uuid
from typing import Any

from prometheus_client import REGISTRY

from .conftest import new_id
from .support import SERVICE_TOKEN, Ingest


def dropped_phones() -> float:
    found = REGISTRY.get_sample_value("crm_ingest_identities_dropped_total", {"kind": "phone"})
    return found or 0.0


def invite(event_id: str, contact: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_name": "INVITE_SENT",
        "event_id": event_id,
        "timestamp": "2026-11-02T08:00:00Z",
        "contact": contact,
    }


async def test_a_phone_that_is_no_valid_number_is_left_off_and_counted(ingest: Ingest) -> None:
    event_id = new_id()
    email = f"{event_id}@example.com"
    before = dropped_phones()
    answer = await ingest.client.post(
        "/api/events", json=invite(event_id, {"email": email, "phone": "12"}), headers=ingest.auth()
    )
    assert answer.status_code == 202, answer.text
    (published,) = await ingest.published_with(event_id)
    assert published.envelope.contact is not None
    assert published.envelope.contact.phone is None
    assert published.envelope.contact.email == email
    assert dropped_phones() == before + 1
    # A repeat is a duplicate: nothing more was left off anything published.
    again = await ingest.client.post(
        "/api/events", json=invite(event_id, {"email": email, "phone": "12"}), headers=ingest.auth()
    )
    assert again.status_code == 200, again.text
    assert dropped_phones() == before + 1
    metrics = (await ingest.client.get("/metrics")).text
    assert 'crm_ingest_identities_dropped_total{kind="phone"}' in metrics


async def test_a_batch_item_with_an_invalid_phone_is_accepted_without_it(ingest: Ingest) -> None:
    event_id = new_id()
    before = dropped_phones()
    answer = await ingest.client.post(
        "/api/events/batch",
        json={"events": [invite(event_id, {"external_id": event_id, "phone": "+47 1"})]},
        headers=ingest.auth(),
    )
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"]
    (published,) = await ingest.published_with(event_id)
    assert published.envelope.contact is not None
    assert published.envelope.contact.phone is None
    assert dropped_phones() == before + 1


async def test_an_event_naming_nobody_but_an_invalid_phone_is_422(ingest: Ingest) -> None:
    before = dropped_phones()
    answer = await ingest.client.post(
        "/api/events", json=invite(new_id(), {"phone": "12"}), headers=ingest.auth()
    )
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "contact", "phone"]]
    assert dropped_phones() == before


async def test_a_handle_with_spaces_is_422_naming_the_field(ingest: Ingest) -> None:
    event = await ingest.client.post(
        "/api/events",
        json=invite(new_id(), {"email": "kari@example.com", "handles": {"ig": "Kari N"}}),
        headers=ingest.auth(),
    )
    hook = await ingest.post_signed(
        "/api/hooks/dm",
        {
            "event_id": new_id(),
            "account_id": "acme",
            "platform": "ig",
            "sender": {"id": "1", "handle": "kari n"},
            "timestamp": "2026-11-02T08:00:00Z",
        },
    )
    assert event.status_code == 422, event.text
    assert [e["loc"] for e in event.json()["errors"]] == [["body", "contact", "handles", "ig"]]
    assert hook.status_code == 422, hook.text
    assert [e["loc"] for e in hook.json()["errors"]] == [["body", "sender", "handle"]]


async def test_a_claim_with_a_phone_that_is_no_valid_number_is_still_422(ingest: Ingest) -> None:
    answer = await ingest.client.post(
        "/internal/identities/claim",
        json={
            "account_id": "acme",
            "customer_id": str(uuid.uuid4()),
            "identities": {"email": f"{new_id()}@example.com", "phone": "12"},
        },
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
    )
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "identities", "phone"]]


async def test_a_lead_naming_nobody_but_an_invalid_phone_is_422_at_the_leads_field(
    ingest: Ingest,
) -> None:
    lead = {
        "event_id": new_id("lead"),
        "account_id": "acme",
        "event_time": int(ingest.clock.now().timestamp()) - 60,
        "user_data": {"ph": "12", "fn": "Ola"},
    }
    before = dropped_phones()
    answer = await ingest.post_signed("/api/hooks/capi/lead", lead)
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "user_data", "ph"]]
    assert dropped_phones() == before
