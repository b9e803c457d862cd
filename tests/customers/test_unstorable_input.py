"""NUL and lone surrogates in every kind of text field, NaN in a body, sent as a client sends
them (JSON escapes): 422 naming the field, never a 500, and nothing changed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from .conftest import Service
from .test_api_customers import create


async def send(service: Service, method: str, path: str, body: Any) -> httpx.Response:
    """`body` as JSON text: json.dumps escapes a lone surrogate ("\\ud800") and writes NaN as
    a literal, as a client's JSON library may (httpx's own encoder refuses both)."""
    service.clock.advance(timedelta(seconds=1))
    return await service.client.request(
        method,
        path,
        content=json.dumps(body).encode(),
        headers={**service.auth(), "content-type": "application/json"},
    )


def cases(customer: str, interaction: str) -> list[tuple[str, str, Any, list[Any]]]:
    card, stage = f"/api/customers/{customer}", f"/api/customers/{customer}/next-stage"
    logged = f"/api/interactions/{interaction}"
    customers, interactions = "/api/customers", "/api/interactions"
    booking = {"state": "booked", "time": "2026-11-05T09:00:00Z", "booking_id": "\ud800"}
    return [
        ("POST", customers, {"name": "Kari\x00"}, ["body", "name"]),
        ("POST", customers, {"name": "Kari\ud800"}, ["body", "name"]),
        ("POST", customers, {"name": "K", "notes": "\udfff"}, ["body", "notes"]),
        ("POST", customers, {"name": "K", "next_action": "\x00"}, ["body", "next_action"]),
        ("POST", customers, {"name": "K", "prospect_why": "\ud800"}, ["body", "prospect_why"]),
        ("POST", customers, {"email": "k\ud800@example.com"}, ["body", "email"]),
        ("POST", customers, {"handles": {"ig": "k\ud800"}}, ["body", "handles", "ig"]),
        (
            "POST",
            customers,
            {"name": "K", "consent": {"terms_version": "\ud800"}},
            ["body", "consent", "terms_version"],
        ),
        ("POST", customers, {"name": "K", "utm": {"source": "\x00"}}, ["body", "utm", "source"]),
        ("POST", customers, {"name": "K", "\ud800": 1}, ["body"]),
        ("POST", customers, {"name": float("nan")}, ["body", "name"]),
        ("PUT", card, {"notes": "a\ud800"}, ["body", "notes"]),
        ("PUT", card, {"status": "qualified", "reason": "\x00"}, ["body", "reason"]),
        ("PUT", card, {"booking": booking}, ["body", "booking", "booking_id"]),
        ("POST", stage, {"reason": "\ud800"}, ["body", "reason"]),
        ("POST", stage, {"prospect_why": "why\x00"}, ["body", "prospect_why"]),
        (
            "POST",
            interactions,
            {"customer_id": customer, "type": "note", "content": "\ud800"},
            ["body", "content"],
        ),
        (
            "POST",
            interactions,
            {"customer_id": customer, "type": "note", "content": "a\x00"},
            ["body", "content"],
        ),
        ("PUT", logged, {"content": "\udc00"}, ["body", "content"]),
    ]


async def test_every_text_field_refuses_nul_and_lone_surrogates(service: Service) -> None:
    kari = await create(service, name="Kari")
    note = await send(
        service, "POST", "/api/interactions", {"customer_id": kari["id"], "type": "note"}
    )
    assert note.status_code == 201, note.text
    before = (await service.call("GET", f"/api/customers/{kari['id']}")).json()
    misses = []
    for method, path, body, loc in cases(kari["id"], note.json()["id"]):
        answer = await send(service, method, path, body)
        problem = answer.headers["content-type"].startswith("application/problem+json")
        locs = [error["loc"] for error in answer.json().get("errors", [])] if problem else []
        if answer.status_code != 422 or locs != [loc]:
            misses.append((method, path, body.keys(), answer.status_code, answer.text[:300]))
    assert misses == []
    unchanged = await service.call("GET", f"/api/customers/{kari['id']}")
    assert unchanged.json() == before
    logged = await service.call("GET", f"/api/interactions/customer/{kari['id']}")
    assert logged.json()["items"] == [note.json()]
    listed = await service.call("GET", "/api/customers", params={"limit": 500})
    assert [c["id"] for c in listed.json()["items"]] == [kari["id"]]


async def test_the_search_text_refuses_nul(service: Service) -> None:
    searched = await service.call("GET", "/api/customers", params={"q": "ka\x00ri"})
    assert searched.status_code == 422, searched.text
    assert searched.json()["errors"] == [
        {"loc": ["query", "q"], "msg": "must not contain the NUL character (U+0000)"}
    ]
