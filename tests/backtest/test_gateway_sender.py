"""The Gateway over a real socket (its aiohttp sender): retries on 503 and on a dropped
connection, a webhook signed afresh on each try, JSON bodies and queries as httpx sent them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks.webhooks import Webhook

from crm_backtest.client import Credentials, Gateway

from .fake_system import JWT_SECRET, WEBHOOK_SECRET

CREDENTIALS = Credentials(JWT_SECRET, WEBHOOK_SECRET)


class Flaky:
    """Answers 503 (Retry-After: 0) to the first try of each path, drops the second
    connection of /dropped, and records what reached it."""

    def __init__(self) -> None:
        self.tries: dict[str, int] = {}
        self.seen: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        tries = self.tries[request.path] = self.tries.get(request.path, 0) + 1
        if tries == 1:
            return web.Response(status=503, headers={"retry-after": "0"})
        if request.path.endswith("/dropped") and tries == 2:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        raw = await request.read()
        self.seen.append(
            {"path": request.path, "query": dict(request.query), "raw": raw,
             "headers": dict(request.headers)}
        )  # fmt: skip
        return web.json_response({"status": "accepted"}, status=202)


@pytest.fixture
async def served() -> AsyncIterator[tuple[Flaky, str]]:
    flaky = Flaky()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", flaky.handle)
    async with TestServer(app) as server:
        yield flaky, str(server.make_url("/api"))


@pytest.fixture(params=[False, True], ids=["httpx", "aiohttp"])
async def gateway(
    served: tuple[Flaky, str], request: pytest.FixtureRequest
) -> AsyncIterator[Gateway]:
    """The gateway client with each sender."""
    _, api = served
    async with Gateway(api, CREDENTIALS, fast_client=request.param) as client:
        yield client


async def test_a_webhook_is_retried_and_each_try_is_signed(
    served: tuple[Flaky, str], gateway: Gateway
) -> None:
    flaky, _ = served
    response = await gateway.webhook("/hooks/dm", "msg_1", {"text": "héllo"})
    assert isinstance(response, httpx.Response)
    assert (response.status_code, response.json()) == (202, {"status": "accepted"})
    assert gateway.retries == 1
    [seen] = flaky.seen
    assert Webhook(WEBHOOK_SECRET).verify(seen["raw"], seen["headers"]) == {"text": "héllo"}


async def test_a_dropped_connection_is_retried_with_token_json_and_query(
    served: tuple[Flaky, str], gateway: Gateway
) -> None:
    flaky, _ = served
    response = await gateway.request(
        "POST", "/dropped", "demo-ny", json={"a": "é"}, params={"as_of": "12:00+00:00"}
    )
    assert response.status_code == 202
    assert gateway.retries == 2  # the 503, then the dropped connection
    [seen] = flaky.seen
    assert seen["raw"] == '{"a":"é"}'.encode()
    assert seen["query"] == {"as_of": "12:00+00:00"}
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["headers"]["Authorization"] == f"Bearer {gateway.token('demo-ny')}"
