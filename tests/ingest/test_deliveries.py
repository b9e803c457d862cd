"""GET /api/hooks/deliveries over HTTP: what our signed hooks' deliveries came to, per account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
from prometheus_client import REGISTRY

from crm_ingest import repository
from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.deliveries import DeliveryOutcome, DeliveryRow
from crm_ingest.service.deliveries import Deliveries
from crm_servicekit.db import create_pool

from .conftest import new_id
from .support import BETA_KEY, T0, Ingest, eventually

PATH = "/api/hooks/deliveries"


def dm(event_id: str, account: str = "acme", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": event_id,
        "account_id": account,
        "platform": "ig",
        "sender": {"id": "sender-" + event_id},
        "text": "hei",
        "timestamp": "2026-11-02T08:00:00Z",
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def lead(event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "account_id": "acme",
        "event_time": 1_793_610_000,
        "user_data": {"em": "kari@example.com", "fn": "Kari"},
        "lead": {"prospect_why": "Freedom"},
    }


async def deliveries(ingest: Ingest, account: str = "acme", **query: Any) -> httpx.Response:
    return await ingest.client.get(PATH, params=query, headers=ingest.auth(account))


async def post_one_of_each(ingest: Ingest) -> dict[str, str]:
    """accepted dm, duplicate dm, rejected dm (422), accepted lead: a second apart, in order."""
    ids = {"dm": new_id("dm"), "bad": new_id("bad"), "lead": new_id("lead")}
    answers = []
    for path, body in (
        ("/api/hooks/dm", dm(ids["dm"])),
        ("/api/hooks/dm", dm(ids["dm"])),
        ("/api/hooks/dm", dm(ids["bad"], sender=None)),
        ("/api/hooks/capi/lead", lead(ids["lead"])),
    ):
        answers.append((await ingest.post_signed(path, body)).status_code)
        ingest.clock.advance(timedelta(seconds=1))
    assert answers == [202, 200, 422, 202]
    return ids


async def test_each_hook_delivery_is_listed_newest_first(ingest: Ingest) -> None:
    ids = await post_one_of_each(ingest)
    answer = await deliveries(ingest)
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(i["connector"], i["provider_id"], i["outcome"]) for i in items] == [
        ("capi_lead", ids["lead"], "accepted"),
        ("dm", ids["bad"], "rejected"),
        ("dm", ids["dm"], "duplicate"),
        ("dm", ids["dm"], "accepted"),
    ]
    assert items[3]["received_at"] == "2026-11-02T09:00:00Z"
    assert items[3]["event_id"] == ids["dm"]
    assert items[3]["customer_id"] is not None
    assert items[2]["customer_id"] == items[3]["customer_id"]
    assert items[1]["event_id"] is None
    assert "body.sender" in items[1]["reason"]
    assert answer.json()["next_cursor"] is None


async def test_unreadable_bodies_and_reused_ids_are_listed_as_rejected(ingest: Ingest) -> None:
    reused = new_id("dm")
    raw, headers = ingest.signed(b'{"account_id": "acme", "event_id": ')
    malformed = await ingest.client.post(
        "/api/hooks/dm?account_id=acme", content=raw, headers=headers
    )
    first = await ingest.post_signed("/api/hooks/dm", dm(reused))
    conflict = await ingest.post_signed("/api/hooks/dm", dm(reused, text="another text"))
    assert [malformed.status_code, first.status_code, conflict.status_code] == [400, 202, 409]
    items = (await deliveries(ingest, outcome="rejected")).json()["items"]
    by_id = {item["provider_id"]: item for item in items}
    assert set(by_id) == {"", reused}
    assert by_id[""]["reason"].startswith("body: Malformed JSON body")
    assert by_id[reused]["reason"].startswith("body.event_id: ")


async def test_filters(ingest: Ingest) -> None:
    ids = await post_one_of_each(ingest)
    leads = (await deliveries(ingest, connector="capi_lead")).json()["items"]
    rejected = (await deliveries(ingest, outcome="rejected")).json()["items"]
    # from inclusive, to exclusive: the second and third deliveries
    window = await deliveries(
        ingest, **{"from": "2026-11-02T09:00:01Z", "to": "2026-11-02T10:00:03+01:00"}
    )
    assert [i["provider_id"] for i in leads] == [ids["lead"]]
    assert [i["provider_id"] for i in rejected] == [ids["bad"]]
    assert [i["outcome"] for i in window.json()["items"]] == ["rejected", "duplicate"]


async def test_pages_through_signed_cursors(ingest: Ingest) -> None:
    for _ in range(5):
        assert (await ingest.post_signed("/api/hooks/dm", dm(new_id("dm")))).status_code == 202
        ingest.clock.advance(timedelta(seconds=1))
    everything = (await deliveries(ingest)).json()["items"]
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await deliveries(ingest, **query)).json()
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == everything
    assert len(everything) == 5


async def test_a_forged_cursor_is_422_naming_cursor(ingest: Ingest) -> None:
    for forged in ("AAAA", "bm90LWEtY3Vyc29y", "not base64!"):
        answer = await deliveries(ingest, cursor=forged)
        assert answer.status_code == 422, forged
        assert ["query", "cursor"] in [e["loc"] for e in answer.json()["errors"]]


async def test_another_accounts_deliveries_are_never_seen(ingest: Ingest) -> None:
    beta_id = new_id("beta")
    beta = await ingest.post_signed("/api/hooks/dm", dm(beta_id, account="beta"), key=BETA_KEY)
    assert beta.status_code == 202
    acme = (await deliveries(ingest, account="acme")).json()["items"]
    seen_by_beta = (await deliveries(ingest, account="beta")).json()["items"]
    assert acme == []
    assert [i["provider_id"] for i in seen_by_beta] == [beta_id]


async def test_without_a_token_it_is_401_before_parameters(ingest: Ingest) -> None:
    bare = await ingest.client.get(PATH)
    with_bad_query = await ingest.client.get(PATH, params={"limit": 0})
    assert bare.status_code == 401
    assert with_bad_query.status_code == 401
    assert bare.headers["content-type"].startswith("application/problem+json")


async def test_bad_parameters_are_422_naming_each(ingest: Ingest) -> None:
    cases = {
        "connector": {"connector": "telegram"},
        "outcome": {"outcome": "lost"},
        "from": {"from": "0.5"},
        "to": {"to": "2026-11-02T09:00:00"},  # no offset
        "limit": {"limit": 501},
    }
    for name, query in cases.items():
        answer = await deliveries(ingest, **query)
        assert answer.status_code == 422, name
        assert ["query", name] in [e["loc"] for e in answer.json()["errors"]], name
    backwards = await deliveries(
        ingest, **{"from": "2026-11-02T10:00:00Z", "to": "2026-11-02T09:00:00Z"}
    )
    assert backwards.status_code == 422
    assert ["query", "to"] in [e["loc"] for e in backwards.json()["errors"]]


async def test_rows_past_the_retention_are_purged_at_start(
    start_ingest: Callable[..., Any], new_database: str
) -> None:
    old = DeliveryRow("acme", T0 - timedelta(days=8), Connector.DM, "old", DeliveryOutcome.ACCEPTED)
    recent = DeliveryRow(
        "acme", T0 - timedelta(days=6), Connector.DM, "recent", DeliveryOutcome.ACCEPTED
    )
    async with start_ingest() as ingest:  # applies the migrations
        conn = await asyncpg.connect(new_database)
        try:
            await repository.insert_deliveries(conn, [old, recent])
        finally:
            await conn.close()
    # The purge runs when the service starts (then hourly), with the service's clock at T0.
    async with start_ingest() as ingest:
        listed = await eventually(
            lambda: deliveries(ingest),
            lambda answer: [i["provider_id"] for i in answer.json()["items"]] == ["recent"],
            within_s=30,
        )
    assert listed.status_code == 200


async def test_a_log_that_cannot_be_written_loses_nothing_else(new_database: str) -> None:
    pool = await create_pool(new_database)
    await pool.close()  # nothing can be written through it
    before = REGISTRY.get_sample_value("crm_ingest_deliveries_log_failures_total") or 0.0
    row = DeliveryRow("acme", T0, Connector.DM, "p", DeliveryOutcome.ACCEPTED, event_id="p")
    await Deliveries(pool).record([row])  # no exception: the delivery was already answered
    after = REGISTRY.get_sample_value("crm_ingest_deliveries_log_failures_total")
    assert after == before + 1


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_items_unowned_items_and_refused_deliveries_are_counted(ingest: Ingest) -> None:
    items = ("crm_ingest_connector_items_total", {"connector": "dm", "outcome": "accepted"})
    unowned = ("crm_ingest_connector_unowned_total", {"connector": "whatsapp"})
    refused = (
        "crm_ingest_connector_refused_deliveries_total",
        {"connector": "instagram", "reason": "bad signature"},
    )
    before = [sample(name, **labels) for name, labels in (items, unowned, refused)]
    assert (await ingest.post_signed("/api/hooks/dm", dm(new_id("dm")))).status_code == 202
    pool = await create_pool(str(ingest.settings.database_url))
    try:
        log = Deliveries(pool)
        log.count_unowned(Connector.WHATSAPP, 3)
        log.count_refused_delivery(Connector.INSTAGRAM, "bad signature")
    finally:
        await pool.close()
    after = [sample(name, **labels) for name, labels in (items, unowned, refused)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 3, 1]
