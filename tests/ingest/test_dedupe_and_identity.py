"""De-duplication by (account, event_id) and identity resolution, against real servers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from .conftest import new_id
from .support import Ingest


def message_sent(event_id: str, contact: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_name": "MESSAGE_SENT",
        "event_id": event_id,
        "timestamp": "2026-11-02T08:30:00Z",
        "source": "ig",
        "contact": contact,
        "properties": {"channel": "ig"},
    }
    body.update(fields)
    return body


async def test_ten_concurrent_repeats_publish_once(ingest: Ingest) -> None:
    event_id = new_id()
    body = message_sent(event_id, {"email": f"{event_id}@example.com"})
    answers = await asyncio.gather(
        *(ingest.client.post("/api/events", json=body, headers=ingest.auth()) for _ in range(10))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * 9 + [202], [a.text for a in answers]
    assert sorted(a.json()["status"] for a in answers) == ["accepted"] + ["duplicate"] * 9
    assert len({a.json()["customer_id"] for a in answers}) == 1
    await ingest.published_with(event_id)
    # Another event after it: once it is on the topic, everything sent before it is too.
    marker = new_id("marker")
    await ingest.client.post(
        "/api/events", json=message_sent(marker, {"external_id": marker}), headers=ingest.auth()
    )
    await ingest.published_with(marker)
    assert sum(p.envelope.event_id == event_id for p in await ingest.published()) == 1


async def test_a_repeat_later_is_a_duplicate_and_another_body_is_409(ingest: Ingest) -> None:
    event_id = new_id()
    body = message_sent(event_id, {"phone": "412 34 567"})
    first = await ingest.client.post("/api/events", json=body, headers=ingest.auth())
    again = await ingest.client.post("/api/events", json=body, headers=ingest.auth())
    # The same event written differently normalizes to the same content: still a duplicate.
    respelled = await ingest.client.post(
        "/api/events",
        json=message_sent(event_id, {"phone": "+47 41 23 45 67"}),
        headers=ingest.auth(),
    )
    other = await ingest.client.post(
        "/api/events",
        json=message_sent(event_id, {"phone": "412 34 567"}, timestamp="2026-11-02T08:31:00Z"),
        headers=ingest.auth(),
    )
    assert first.status_code == 202, first.text
    assert again.status_code == respelled.status_code == 200
    assert again.json() == {**first.json(), "status": "duplicate"}
    assert other.status_code == 409, other.text
    assert other.headers["content-type"] == "application/problem+json"
    # The same event_id in another account is another event (beta's region is SE, hence +47).
    beta_body = message_sent(event_id, {"phone": "+47 412 34 567"})
    beta = await ingest.client.post("/api/events", json=beta_body, headers=ingest.auth("beta"))
    assert beta.status_code == 202, beta.text
    assert beta.json()["customer_id"] != first.json()["customer_id"]


async def test_email_then_email_with_handle_then_handle_is_one_customer(ingest: Ingest) -> None:
    email = f"{new_id('p')}@example.com"
    handle = new_id("h")
    answers = []
    for contact in (
        {"email": email},
        {"email": email, "handles": {"ig": handle}},
        {"handles": {"ig": "@" + handle.upper()}},
    ):
        answer = await ingest.client.post(
            "/api/events", json=message_sent(new_id(), contact), headers=ingest.auth()
        )
        assert answer.status_code == 202, answer.text
        answers.append(answer.json()["customer_id"])
    assert len(set(answers)) == 1


async def test_concurrent_first_events_with_one_new_email_are_one_customer(
    ingest: Ingest,
) -> None:
    email = f"{new_id('new')}@example.com"
    answers = await asyncio.gather(
        *(
            ingest.client.post(
                "/api/events",
                json=message_sent(new_id(), {"email": email, "handles": {"ig": new_id("h")}}),
                headers=ingest.auth(),
            )
            for _ in range(8)
        )
    )
    assert all(a.status_code == 202 for a in answers), [a.text for a in answers]
    assert len({a.json()["customer_id"] for a in answers}) == 1


async def test_an_identity_linked_elsewhere_is_not_moved(ingest: Ingest) -> None:
    kari, ola = f"{new_id('kari')}@example.com", f"{new_id('ola')}@example.com"
    phone = "+4741234568"
    first = await ingest.client.post(
        "/api/events", json=message_sent(new_id(), {"email": kari}), headers=ingest.auth()
    )
    second = await ingest.client.post(
        "/api/events",
        json=message_sent(new_id(), {"email": ola, "phone": phone}),
        headers=ingest.auth(),
    )
    # Kari's email wins over the phone held by Ola; the phone stays with Ola.
    both = await ingest.client.post(
        "/api/events",
        json=message_sent(new_id(), {"email": kari, "phone": phone}),
        headers=ingest.auth(),
    )
    by_phone = await ingest.client.post(
        "/api/events", json=message_sent(new_id(), {"phone": phone}), headers=ingest.auth()
    )
    assert both.json()["customer_id"] == first.json()["customer_id"]
    assert by_phone.json()["customer_id"] == second.json()["customer_id"]
    metrics = (await ingest.client.get("/metrics")).text
    assert "crm_ingest_identity_conflicts_total" in metrics


async def test_a_given_customer_id_is_taken_and_another_accounts_is_422(ingest: Ingest) -> None:
    mine = str(uuid.uuid4())
    taken = await ingest.client.post(
        "/api/events",
        json=message_sent(new_id(), {"external_id": new_id()}, customer_id=mine),
        headers=ingest.auth(),
    )
    assert taken.status_code == 202, taken.text
    assert taken.json()["customer_id"] == mine
    from_beta = await ingest.client.post(
        "/api/events",
        json=message_sent(new_id(), {}, customer_id=mine),
        headers=ingest.auth("beta"),
    )
    assert from_beta.status_code == 422, from_beta.text
    assert from_beta.json()["errors"] == [
        {"loc": ["body", "customer_id"], "msg": "unknown customer"}
    ]
