"""A cause seen before changes nothing: an Idempotency-Key used again once its stored answer
is gone (after 24 hours) makes the same entry ids, and an entry stored already is a
duplicate, as it is for facts from the topic."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from .conftest import Service
from .test_api_customers import create


async def _next_stage(service: Service, customer: dict[str, Any], key: str) -> httpx.Response:
    path = f"/api/customers/{customer['id']}/next-stage"
    return await service.call("POST", path, json={}, key=key)


async def _forget_answers(service: Service) -> None:
    """What the hourly purge does to answers older than 24 hours."""
    conn = await asyncpg.connect(str(service.settings.database_url))
    try:
        await conn.execute("DELETE FROM idempotency_keys")
    finally:
        await conn.close()


async def test_next_stage_with_a_key_used_again_moves_no_further(service: Service) -> None:
    kari = await create(service, name="Kari")
    first = await _next_stage(service, kari, "move-kari")
    assert first.status_code == 200, first.text
    moved = first.json()
    await _forget_answers(service)
    again = await _next_stage(service, kari, "move-kari")
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["updated_at"]) == (
        moved["status"],
        moved["updated_at"],
    )


async def test_logging_with_a_key_used_again_keeps_one_activity(service: Service) -> None:
    kari = await create(service, name="Kari")
    body = {"customer_id": kari["id"], "type": "call", "content": "first call"}
    first = await service.call("POST", "/api/interactions", json=body, key="call-kari")
    assert first.status_code == 201, first.text
    card = (await service.call("GET", f"/api/customers/{kari['id']}")).json()
    await _forget_answers(service)
    again = await service.call("POST", "/api/interactions", json=body, key="call-kari")
    assert again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"]
    after = (await service.call("GET", f"/api/customers/{kari['id']}")).json()
    assert after == card
