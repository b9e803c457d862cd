"""One email, one phone and one handle per platform per customer, and the envelope's
`linked_identities`, through the HTTP API against real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from prometheus_client import REGISTRY

from .conftest import new_id
from .support import Ingest


def invite(contact: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "event_name": "INVITE_SENT",
        "event_id": new_id(),
        "timestamp": "2026-11-02T08:30:00Z",
        "source": "ig",
        "contact": contact,
        **fields,
    }


def not_linked(kind: str) -> float:
    value = REGISTRY.get_sample_value("crm_ingest_identities_not_linked_total", {"kind": kind})
    return value or 0.0


async def send(ingest: Ingest, body: dict[str, Any]) -> str:
    answer = await ingest.client.post("/api/events", json=body, headers=ingest.auth())
    assert answer.status_code in (200, 202), answer.text
    customer: str = answer.json()["customer_id"]
    return customer


async def linked_of(ingest: Ingest, event_id: str) -> dict[str, Any] | None:
    (published,) = await ingest.published_with(event_id)
    linked = published.envelope.linked_identities
    return None if linked is None else linked.model_dump(exclude_none=True)


async def test_a_second_email_is_not_linked_and_linked_identities_name_the_held_one(
    ingest: Ingest,
) -> None:
    handle, first, second = new_id("h"), f"{new_id()}@example.com", f"{new_id()}@example.com"
    opening = invite({"email": first, "handles": {"ig": handle}})
    kari = await send(ingest, opening)
    before = not_linked("email")
    later = invite({"email": second, "handles": {"ig": handle}}, event_name="LEAD_QUALIFIED")
    assert await send(ingest, later) == kari
    assert not_linked("email") == before + 1
    assert await linked_of(ingest, opening["event_id"]) == {
        "email": first,
        "handles": {"ig": handle},
    }
    # The second email was not linked: the card hears only of the handle.
    assert await linked_of(ingest, later["event_id"]) == {"handles": {"ig": handle}}
    # So the second email alone is somebody else, and the first still Kari.
    assert await send(ingest, invite({"email": second})) != kari
    assert await send(ingest, invite({"email": first})) == kari
    # A repeat of the event is still a duplicate of it.
    again = await ingest.client.post("/api/events", json=later, headers=ingest.auth())
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")


async def test_a_hashed_email_of_another_hash_is_another_email(ingest: Ingest) -> None:
    email, other = f"{new_id()}@example.com", f"{new_id()}@example.com"
    kari = await send(ingest, invite({"email": email}))
    other_hash = hashlib.sha256(other.encode()).hexdigest()
    before = not_linked("email")
    event = invite({"email_sha256": other_hash}, customer_id=kari)
    assert await send(ingest, event) == kari
    assert not_linked("email") == before + 1
    assert await linked_of(ingest, event["event_id"]) is None
    # Unlinked, that hash names nobody yet: a new customer.
    assert await send(ingest, invite({"email_sha256": other_hash})) != kari


async def test_a_second_phone_and_handle_on_one_platform_are_not_linked_other_platforms_are(
    ingest: Ingest,
) -> None:
    ig, other_ig, whatsapp = new_id("h"), new_id("h"), new_id("w")
    kari = await send(ingest, invite({"phone": "+4741234567", "handles": {"ig": ig}}))
    event = invite(
        {"phone": "+4741234568", "handles": {"ig": other_ig, "whatsapp": whatsapp}},
        customer_id=kari,
        user_id=new_id("u"),
    )
    before = (not_linked("phone"), not_linked("handle"))
    assert await send(ingest, event) == kari
    assert (not_linked("phone"), not_linked("handle")) == (before[0] + 1, before[1] + 1)
    assert await linked_of(ingest, event["event_id"]) == {"handles": {"whatsapp": whatsapp}}
    # The platform id was linked beside the ones Kari had: a DM from it finds Kari.
    assert await send(ingest, invite({}, user_id=event["user_id"])) == kari
    assert await send(ingest, invite({"handles": {"ig": other_ig}})) != kari


async def test_a_dm_and_a_lead_carry_the_linked_identities(ingest: Ingest) -> None:
    handle = new_id("h")
    dm = {
        "event_id": new_id(),
        "account_id": "acme",
        "platform": "ig",
        "sender": {"id": new_id("s"), "handle": "@" + handle},
        "text": "hei",
        "timestamp": "2026-11-02T08:00:00Z",
    }
    answer = await ingest.post_signed("/api/hooks/dm", dm)
    assert answer.status_code == 202, answer.text
    assert await linked_of(ingest, dm["event_id"]) == {"handles": {"ig": handle}}
    email = f"{new_id()}@example.com"
    lead = {
        "event_id": new_id(),
        "account_id": "acme",
        "event_time": 1793_600_000,
        "user_data": {"em": email},
    }
    answer = await ingest.post_signed("/api/hooks/capi/lead", lead)
    assert answer.status_code == 202, answer.text
    assert await linked_of(ingest, lead["event_id"]) == {"email": email}


async def test_an_event_by_customer_id_only_has_no_linked_identities(ingest: Ingest) -> None:
    kari = await send(ingest, invite({"email": f"{new_id()}@example.com"}))
    event = invite({}, customer_id=kari)
    del event["contact"]
    assert await send(ingest, event) == kari
    assert await linked_of(ingest, event["event_id"]) is None


async def test_the_plain_email_of_a_hashed_lead_finds_the_lead_and_is_linked(
    ingest: Ingest,
) -> None:
    email = f"{new_id()}@example.com"
    digest = hashlib.sha256(email.encode()).hexdigest()
    lead = await send(ingest, invite({"email_sha256": digest}, event_name="LEAD_QUALIFIED"))
    booked = invite(
        {"email": email},
        event_name="MEETING_BOOKED",
        properties={"booking_time": "2026-11-05T10:00:00Z"},
    )
    assert await send(ingest, booked) == lead
    assert await linked_of(ingest, booked["event_id"]) == {"email": email}
    assert await send(ingest, invite({"email": email})) == lead


async def a_hashed_lead_and_its_plain_email_at_once(ingest: Ingest) -> set[str]:
    """The customers a hashed lead and five events with its plain email, sent at once (singly
    and in a batch), are resolved to."""
    email = f"{new_id()}@example.com"
    digest = hashlib.sha256(email.encode()).hexdigest()
    lead = invite({"email_sha256": digest}, event_name="LEAD_QUALIFIED")
    singles = [invite({"email": email}, event_name="FOLLOW_UP_DONE") for _ in range(3)]
    batch = {"events": [invite({"email": email}, event_name="FOLLOW_UP_DONE") for _ in range(2)]}

    async def batched() -> list[str]:
        answer = await ingest.client.post("/api/events/batch", json=batch, headers=ingest.auth())
        assert answer.status_code == 200, answer.text
        return [result["customer_id"] for result in answer.json()["results"]]

    *answers, in_batch = await asyncio.gather(
        send(ingest, lead), *(send(ingest, event) for event in singles), batched()
    )
    return {*answers, *in_batch}


async def test_a_hashed_lead_and_its_plain_email_at_once_are_one_customer(
    ingest: Ingest,
) -> None:
    for _ in range(10):
        customers = await a_hashed_lead_and_its_plain_email_at_once(ingest)
        assert len(customers) == 1, customers


async def test_a_hashed_capi_lead_then_its_plain_email_is_one_customer(ingest: Ingest) -> None:
    email = f"{new_id()}@example.com"
    lead = {
        "event_id": new_id(),
        "account_id": "acme",
        "event_time": 1793520000,
        "user_data": {"em": hashlib.sha256(email.encode()).hexdigest(), "fn": "p", "ln": "c1"},
        "lead": {"full_name": "Prospect c1", "prospect_why": "Leave the night shift"},
    }
    answer = await ingest.post_signed("/api/hooks/capi/lead", lead)
    assert answer.status_code == 202, answer.text
    booked = invite(
        {"email": email},
        event_name="MEETING_BOOKED",
        source="web",
        properties={"booking_time": "2026-11-05T10:00:00Z"},
    )
    assert await send(ingest, booked) == answer.json()["customer_id"]
