"""What no store can hold, sent as a client sends it (JSON escapes, NaN and Infinity literals):
NUL, a lone surrogate, NaN, Infinity, a number beyond a double. Each is 422 naming the field,
never a 500, and never published with the value dropped."""

from __future__ import annotations

import json
from typing import Any

from .conftest import new_id
from .support import Ingest


def invite(event_id: str, properties: Any = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_name": "INVITE_SENT",
        "event_id": event_id,
        "timestamp": "2026-11-02T08:00:00Z",
        "contact": {"email": f"{event_id}@example.com"},
        **fields,
    }
    if properties is not None:
        body["properties"] = properties
    return body


def raw(body: Any) -> bytes:
    # json.dumps escapes a lone surrogate as "\ud800" and writes NaN and Infinity as literals,
    # exactly what a client's JSON library may send.
    return json.dumps(body).encode()


def with_literal(body: dict[str, Any], literal: str) -> bytes:
    """The body with properties.value written as a JSON literal json.dumps cannot produce."""
    return raw({**body, "properties": {"value": "LITERAL"}}).replace(b'"LITERAL"', literal.encode())


PROPS: list[str | int] = ["body", "properties"]
PURCHASE = {"amount": "1e999", "currency": "EUR", "product_ids": []}
CASES: list[tuple[str, bytes, list[str | int]]] = [
    (
        "surrogate in event_id",
        raw(invite("e\ud800", contact={"email": "e@example.com"})),
        ["body", "event_id"],
    ),
    ("low surrogate in a property", raw(invite("p", {"channel": "\udc00"})), [*PROPS, "channel"]),
    (
        "surrogate in a nested property",
        raw(invite("n", {"meta": {"notes": ["ok", "x\ud800y"]}})),
        [*PROPS, "meta", "notes", 1],
    ),
    ("surrogate in a property key", raw(invite("k", {"\ud800": "x"})), PROPS),
    (
        "surrogate in a contact name",
        raw(invite("c", contact={"email": "c@example.com", "name": "Kari \ud800"})),
        ["body", "contact", "name"],
    ),
    ("surrogate in utm", raw(invite("u", utm={"campaign": "\ud800"})), ["body", "utm", "campaign"]),
    ("surrogate in user_id", raw(invite("i", user_id="\ud800")), ["body", "user_id"]),
    (
        "NUL in consent",
        raw(invite("t", consent={"terms_version": "\x00"})),
        ["body", "consent", "terms_version"],
    ),
    ("NaN in a property", raw(invite("nan", {"score": float("nan")})), [*PROPS, "score"]),
    ("Infinity in a property", raw(invite("inf", {"score": float("inf")})), [*PROPS, "score"]),
    (
        "-Infinity nested",
        raw(invite("ninf", {"w": [{"v": float("-inf")}]})),
        [*PROPS, "w", 0, "v"],
    ),
    ("1e400 in a property", with_literal(invite("big"), "1e400"), [*PROPS, "value"]),
    ("-1e400 in a property", with_literal(invite("small"), "-1e400"), [*PROPS, "value"]),
    ("an integer beyond a double", with_literal(invite("int"), "9" * 400), [*PROPS, "value"]),
    (
        "an amount beyond a double",
        raw(invite("amount", PURCHASE, event_name="PURCHASED")),
        [*PROPS, "amount"],
    ),
]


async def test_each_unstorable_value_is_422_naming_its_field(ingest: Ingest) -> None:
    """One service for the table; every miss is listed."""
    misses = []
    for case, body, loc in CASES:
        answer = await ingest.client.post(
            "/api/events",
            content=body,
            headers={**ingest.auth(), "content-type": "application/json"},
        )
        problem = answer.headers["content-type"] == "application/problem+json"
        locs = [error["loc"] for error in answer.json().get("errors", [])] if problem else []
        if answer.status_code != 422 or locs != [loc]:
            misses.append((case, answer.status_code, answer.text[:300]))
    assert misses == []
    good = new_id("good")
    accepted = await ingest.client.post("/api/events", json=invite(good), headers=ingest.auth())
    assert accepted.status_code == 202, accepted.text
    await ingest.published_with(good)
    assert [p.envelope.event_id for p in await ingest.published()] == [good]


async def test_a_batch_rejects_the_unstorable_items_alone(ingest: Ingest) -> None:
    good, nan, nested, surrogate = new_id("good"), new_id("nan"), new_id("nested"), new_id("s")
    items = [
        invite(good, {"score": 1.5}),
        invite(nan, {"score": float("nan")}),
        invite(nested, {"a": {"b": [1, float("inf")]}}),
        invite(surrogate, {"text": "\ud800"}),
        invite("e\ud800", contact={"email": "e@example.com"}),
        invite(float("nan"), contact={"email": "n@example.com"}),
    ]
    answer = await ingest.client.post(
        "/api/events/batch",
        content=raw({"events": items}),
        headers={**ingest.auth(), "content-type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["event_id"], r["status"]) for r in results] == [
        (good, "accepted"),
        (nan, "rejected"),
        (nested, "rejected"),
        (surrogate, "rejected"),
        # An id the answer cannot carry is answered as null; the errors name it.
        (None, "rejected"),
        (None, "rejected"),
    ]
    assert [[e["loc"] for e in r["errors"]] for r in results[1:]] == [
        [["body", "events", 1, "properties", "score"]],
        [["body", "events", 2, "properties", "a", "b", 1]],
        [["body", "events", 3, "properties", "text"]],
        [["body", "events", 4, "event_id"]],
        [["body", "events", 5, "event_id"]],
    ]
    (published,) = await ingest.published_with(good)
    assert published.envelope.properties == {"score": 1.5}
    assert [p.envelope.event_id for p in await ingest.published()] == [good]


async def test_hooks_refuse_unstorable_values(ingest: Ingest) -> None:
    dm = {
        "event_id": new_id("dm"),
        "account_id": "acme",
        "platform": "ig",
        "sender": {"handle": "kari"},
        "text": "hello \ud800",
        "timestamp": "2026-11-02T08:00:00Z",
    }
    lead = {
        "event_id": new_id("lead"),
        "account_id": "acme",
        "event_time": 1793606400,
        "user_data": {"em": "kari@example.com"},
        "custom_data": {"value": float("nan")},
    }
    refused_dm = await ingest.post_signed("/api/hooks/dm", dm)
    refused_lead = await ingest.post_signed("/api/hooks/capi/lead", lead)
    assert refused_dm.status_code == 422, refused_dm.text
    assert refused_dm.json()["errors"][0]["loc"] == ["body", "text"]
    assert refused_lead.status_code == 422, refused_lead.text
    assert refused_lead.json()["errors"][0]["loc"] == ["body", "custom_data", "value"]
    assert await ingest.published() == []
