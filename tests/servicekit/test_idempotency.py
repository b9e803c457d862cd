from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import State

from crm_servicekit.clock import FixedClock
from crm_servicekit.db import apply_migrations, create_pool
from crm_servicekit.idempotency import (
    REPLAYED_HEADER,
    IdempotencyDep,
    IdempotentRequest,
    idempotent,
    purge_expired_idempotency_keys,
    request_fingerprint,
)
from crm_servicekit.problems import Conflict

from .sample_service import T0, bearer, sample_app

pytestmark = pytest.mark.integration

WIDGETS_MIGRATION = """
CREATE TABLE widgets (
    id         bigserial PRIMARY KEY,
    account_id text NOT NULL,
    name       text NOT NULL
);
"""


class NewWidget(BaseModel):
    name: str


router = APIRouter(prefix="/api")


@router.post("/widgets", status_code=201)
async def create_widget(
    widget: NewWidget, idempotency: IdempotencyDep, request: Request
) -> JSONResponse:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, idempotent(connection, idempotency) as slot:
        if slot.replay is not None:
            return slot.replay.to_response()
        widget_id = await connection.fetchval(
            "INSERT INTO widgets (account_id, name) VALUES ($1, $2) RETURNING id",
            idempotency.account_id,
            widget.name,
        )
        gate: Gate | None = request.app.state.gate
        if gate is not None:  # hold the transaction open until the test lets go
            gate.inside.set()
            await gate.release.wait()
        if request.app.state.refuse_next:
            request.app.state.refuse_next = False
            raise Conflict("Refused this time.")
        return slot.respond(201, {"id": widget_id, "name": widget.name})


@dataclass
class Gate:
    inside: asyncio.Event
    release: asyncio.Event


@dataclass
class Service:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    clock: FixedClock
    state: State

    async def post(self, body: object, key: str | None, account: str = "demo") -> httpx.Response:
        headers = bearer(account, clock=self.clock)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post("/api/widgets", json=body, headers=headers)

    async def widget_count(self) -> int:
        count: int = await self.pool.fetchval("SELECT count(*) FROM widgets")
        return count


@pytest.fixture
async def service(new_database: str, tmp_path: Path) -> AsyncIterator[Service]:
    (tmp_path / "0001_widgets.sql").write_text(WIDGETS_MIGRATION)
    apply_migrations(new_database, tmp_path)
    pool = await create_pool(new_database, max_size=4)
    clock = FixedClock(T0 + timedelta(minutes=1))
    app = sample_app(clock=clock, routers=(router,))
    app.state.pool = pool
    app.state.gate = None
    app.state.refuse_next = False
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
            yield Service(client, pool, clock, app.state)
    finally:
        await pool.close()


async def test_same_key_and_body_replay_the_first_answer(service: Service) -> None:
    first = await service.post({"name": "a"}, "key-1")
    again = await service.post({"name": "a"}, "key-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert REPLAYED_HEADER.lower() not in first.headers
    assert again.headers[REPLAYED_HEADER] == "true"
    assert await service.widget_count() == 1


async def test_same_content_in_other_formatting_is_the_same_body(service: Service) -> None:
    first = await service.client.post(
        "/api/widgets",
        content=b'{"name": "a"}',
        headers={**bearer(), "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    again = await service.client.post(
        "/api/widgets",
        content=b'{\n  "name":"a"\n}',
        headers={**bearer(), "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert again.json() == first.json()
    assert await service.widget_count() == 1


async def test_same_key_with_another_body_is_409(service: Service) -> None:
    await service.post({"name": "a"}, "key-1")
    other = await service.post({"name": "b"}, "key-1")
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in other.json()["detail"]
    assert await service.widget_count() == 1


async def test_keys_belong_to_one_account(service: Service) -> None:
    await service.post({"name": "a"}, "shared-key", account="demo")
    await service.post({"name": "a"}, "shared-key", account="acme")
    assert await service.widget_count() == 2


async def test_without_a_key_every_request_acts(service: Service) -> None:
    await service.post({"name": "a"}, None)
    await service.post({"name": "a"}, None)
    assert await service.widget_count() == 2


async def test_a_key_is_remembered_24_hours(service: Service) -> None:
    first = await service.post({"name": "a"}, "key-1")
    service.clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    assert (await service.post({"name": "a"}, "key-1")).json() == first.json()
    service.clock.advance(timedelta(seconds=1))
    later = await service.post({"name": "b"}, "key-1")
    assert later.status_code == 201
    assert later.json()["name"] == "b"
    assert (await service.post({"name": "b"}, "key-1")).json() == later.json()
    assert await service.widget_count() == 2


async def overlapping(
    service: Service, first_body: object, second_body: object
) -> tuple[httpx.Response, httpx.Response]:
    """The second request arrives while the first holds its transaction open."""
    gate = Gate(asyncio.Event(), asyncio.Event())
    service.state.gate = gate
    first = asyncio.create_task(service.post(first_body, "key-1"))
    await asyncio.wait_for(gate.inside.wait(), timeout=10)
    second = asyncio.create_task(service.post(second_body, "key-1"))
    await wait_for_a_lock_wait(service.pool)
    assert not second.done()
    gate.release.set()
    return await first, await second


async def wait_for_a_lock_wait(pool: asyncpg.Pool) -> None:
    """Until a session of this database waits on a lock: the second request's insert."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        if await pool.fetchval(query):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the second request never waited on the first one's key")


async def test_concurrent_requests_with_one_key_act_once(service: Service) -> None:
    first, second = await overlapping(service, {"name": "a"}, {"name": "a"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers[REPLAYED_HEADER] == "true"
    assert await service.widget_count() == 1


async def test_concurrent_requests_with_one_key_and_other_bodies(service: Service) -> None:
    first, second = await overlapping(service, {"name": "a"}, {"name": "b"})
    assert (first.status_code, second.status_code) == (201, 409)
    assert await service.widget_count() == 1


async def test_a_request_that_fails_leaves_its_key_free(service: Service) -> None:
    service.state.refuse_next = True
    refused = await service.post({"name": "a"}, "key-1")
    assert refused.status_code == 409
    assert await service.widget_count() == 0  # the work was rolled back with the key
    retried = await service.post({"name": "a"}, "key-1")
    assert retried.status_code == 201
    assert await service.widget_count() == 1


async def test_the_key_header_is_checked_after_the_token(service: Service) -> None:
    unauthenticated = await service.client.post(
        "/api/widgets", json={"name": "a"}, headers={"Idempotency-Key": "k" * 300}
    )
    assert unauthenticated.status_code == 401
    too_long = await service.post({"name": "a"}, "k" * 256)
    assert too_long.status_code == 422
    assert [e["loc"] for e in too_long.json()["errors"]] == [["header", "Idempotency-Key"]]


async def test_purge_removes_keys_older_than_24_hours(service: Service) -> None:
    await service.post({"name": "a"}, "old")
    service.clock.advance(timedelta(hours=20))
    await service.post({"name": "b"}, "recent")
    service.clock.advance(timedelta(hours=5))
    assert await purge_expired_idempotency_keys(service.pool, now=service.clock.now()) == 1
    keys = await service.pool.fetch("SELECT key FROM idempotency_keys")
    assert [row["key"] for row in keys] == ["recent"]


async def test_a_block_that_records_no_answer_is_a_bug(service: Service) -> None:
    request = _request_for(service, "key-x")
    async with service.pool.acquire() as connection:
        with pytest.raises(RuntimeError, match=r"slot\.respond"):
            async with idempotent(connection, request):
                pass
        assert await connection.fetchval("SELECT count(*) FROM idempotency_keys") == 0


def _request_for(service: Service, key: str) -> IdempotentRequest:
    fingerprint = request_fingerprint("POST", "/x", "", b"{}")
    return IdempotentRequest("demo", key, fingerprint, service.clock.now())


def test_fingerprint_ignores_json_formatting_and_query_order() -> None:
    one = request_fingerprint("post", "/api/x", "b=2&a=1", b'{"a": 1, "b": [1, 2]}')
    two = request_fingerprint("POST", "/api/x", "a=1&b=2", b'{"b":[1,2],"a":1}')
    assert one == two
    assert one != request_fingerprint("POST", "/api/y", "a=1&b=2", b'{"b":[1,2],"a":1}')
    assert one != request_fingerprint("POST", "/api/x", "a=1&b=2", b'{"b":[2,1],"a":1}')
    assert request_fingerprint("POST", "/x", "", b"\xff") != request_fingerprint(
        "POST", "/x", "", b"\xfe"
    )
