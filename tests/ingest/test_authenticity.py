"""Signatures, tokens, the internal claim endpoint and deleted customers, over HTTP."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from crm_schemas.catalog import EventName
from crm_servicekit.auth import mint_token

from .conftest import new_id
from .support import ACME_OLD_KEY, BETA_KEY, SERVICE_TOKEN, Ingest


def dm(event_id: str, sender: str, account: str = "acme") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "account_id": account,
        "platform": "ig",
        "sender": {"id": sender},
        "text": "hei",
        "timestamp": "2026-11-02T08:00:00Z",
    }


async def test_signatures(ingest: Ingest) -> None:
    sender = new_id("s")
    ok = await ingest.post_signed("/api/hooks/dm", dm(new_id(), sender))
    rotated = await ingest.post_signed("/api/hooks/dm", dm(new_id(), sender), key=ACME_OLD_KEY)
    wrong = await ingest.post_signed("/api/hooks/dm", dm(new_id(), sender), key=BETA_KEY)
    old = await ingest.post_signed(
        "/api/hooks/dm", dm(new_id(), sender), at=ingest.clock.now() - timedelta(minutes=6)
    )
    raw, headers = ingest.signed(dm(new_id(), sender))
    tampered = await ingest.client.post(
        "/api/hooks/dm", content=raw.replace(b"hei", b"hex"), headers=headers
    )
    unsigned = await ingest.client.post("/api/hooks/dm", json=dm(new_id(), sender))
    unknown = await ingest.post_signed("/api/hooks/dm", dm(new_id(), sender, account="nobody"))
    assert ok.status_code == rotated.status_code == 202, (ok.text, rotated.text)
    refused = [wrong, old, tampered, unsigned, unknown]
    assert [r.status_code for r in refused] == [401] * 5
    # An unknown account is answered exactly like a bad signature.
    assert unknown.json() == wrong.json()
    # The second DM from the same sender continues the conversation.
    (second,) = await ingest.published_with(rotated.json()["event_id"])
    assert second.envelope.event_name is EventName.MESSAGE_RECEIVED


async def test_tokens(ingest: Ingest) -> None:
    body = {
        "event_name": "INVITE_SENT",
        "event_id": new_id(),
        "timestamp": "2026-11-02T08:00:00Z",
        "contact": {"external_id": "t-1"},
    }
    expired = mint_token(
        ingest.settings.jwt_secret, "acme", "u", timedelta(minutes=5), clock=ingest.clock
    )
    ingest.clock.advance(timedelta(minutes=6))
    stale = await ingest.client.post(
        "/api/events", json=body, headers={"Authorization": f"Bearer {expired}"}
    )
    missing = await ingest.client.post("/api/events/batch", json={"events": [body]})
    unknown = await ingest.client.post("/api/events", json=body, headers=ingest.auth("nobody"))
    forged = mint_token("another-secret-of-32-characters!!", "acme", "u", timedelta(hours=1))
    bad = await ingest.client.post(
        "/api/events", json=body, headers={"Authorization": f"Bearer {forged}"}
    )
    other = await ingest.client.post(
        "/api/events", json={**body, "account_id": "beta"}, headers=ingest.auth("acme")
    )
    assert [r.status_code for r in (stale, missing, unknown, bad)] == [401] * 4
    assert other.status_code == 422
    assert other.json()["errors"][0]["loc"] == ["body", "account_id"]


async def test_claims(ingest: Ingest) -> None:
    service = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    email = f"{new_id('c')}@example.com"
    seen = await ingest.client.post(
        "/api/events",
        json={
            "event_name": "INVITE_SENT",
            "event_id": new_id(),
            "timestamp": "2026-11-02T08:00:00Z",
            "contact": {"email": email},
        },
        headers=ingest.auth(),
    )
    holder = seen.json()["customer_id"]
    newcomer = str(uuid.uuid4())
    handle = new_id("h")
    taken = await ingest.client.post(
        "/internal/identities/claim",
        json={"account_id": "acme", "customer_id": newcomer, "identities": {"email": email}},
        headers=service,
    )
    free = await ingest.client.post(
        "/internal/identities/claim",
        json={
            "account_id": "acme",
            "customer_id": newcomer,
            "identities": {"handles": {"ig": handle}, "phone": "+4741234569"},
        },
        headers=service,
    )
    unauthenticated = await ingest.client.post(
        "/internal/identities/claim",
        json={"account_id": "acme", "customer_id": newcomer, "identities": {}},
        headers=ingest.auth(),
    )
    assert taken.status_code == 409, taken.text
    assert taken.json()["holder_customer_id"] == holder
    assert free.status_code == 200, free.text
    assert free.json()["customer_id"] == newcomer
    assert unauthenticated.status_code == 401
    # A DM from the claimed handle now finds the claiming customer.
    later = await ingest.post_signed(
        "/api/hooks/dm",
        {**dm(new_id(), new_id("s")), "sender": {"handle": "@" + handle}},
    )
    assert later.json()["customer_id"] == newcomer


async def test_a_deleted_customer_is_422_and_its_identities_are_released(ingest: Ingest) -> None:
    sender = new_id("s")
    first = await ingest.post_signed("/api/hooks/dm", dm(new_id(), sender))
    customer = uuid.UUID(first.json()["customer_id"])
    refused = await ingest.delete_customer(customer)
    assert refused.json()["errors"] == [{"loc": ["body", "customer_id"], "msg": "deleted customer"}]
    again = await ingest.post_signed("/api/hooks/dm", dm(new_id(), sender))
    assert again.status_code == 202
    assert again.json()["customer_id"] != str(customer)
    (restarted,) = await ingest.published_with(again.json()["event_id"])
    assert restarted.envelope.event_name is EventName.DM_STARTED


async def test_the_rate_limit_answers_429_with_retry_after(start_ingest: Any) -> None:
    async with start_ingest(rate_limit_per_s=1.0, rate_limit_burst=3) as ingest:
        answers = [
            await ingest.client.post(
                "/api/events",
                json={
                    "event_name": "INVITE_SENT",
                    "event_id": new_id(),
                    "timestamp": "2026-11-02T08:00:00Z",
                    "contact": {"external_id": "r"},
                },
                headers=ingest.auth(),
            )
            for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [202, 202, 202, 429]
        assert answers[-1].headers["retry-after"] == "1"
        # Another endpoint has its own bucket; time refills this one.
        other = await ingest.post_signed("/api/hooks/dm", dm(new_id(), new_id("s")))
        assert other.status_code == 202
        ingest.clock.advance(timedelta(seconds=1))
        refilled = await ingest.client.post(
            "/api/events",
            json={
                "event_name": "INVITE_SENT",
                "event_id": new_id(),
                "timestamp": "2026-11-02T08:00:00Z",
                "contact": {"external_id": "r"},
            },
            headers=ingest.auth(),
        )
        assert refilled.status_code == 202
