"""Running the stats service for a test: real uvicorn on a free port, real servers behind."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from crm_devstack.processes import free_port
from crm_servicekit.accounts import Account, Accounts, write_accounts_file
from crm_servicekit.auth import mint_token
from crm_servicekit.clock import Clock
from crm_stats.main import build_app
from crm_stats.settings import StatsSettings

JWT_SECRET = "stats-tests-jwt-secret-5e1d9c3b7a2f4e6d8c0b"


def bearer(account_id: str, clock: Clock) -> dict[str, str]:
    token = mint_token(JWT_SECRET, account_id, "user-1", timedelta(days=3650), clock=clock)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class RunningStats:
    client: httpx.AsyncClient
    base_url: str
    clock: Clock

    def auth(self, account_id: str) -> dict[str, str]:
        return bearer(account_id, self.clock)

    def token(self, account_id: str) -> str:
        return self.auth(account_id)["Authorization"].removeprefix("Bearer ")

    async def get(self, path: str, account_id: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth(account_id))

    async def custom_figures(
        self, account_id: str, start: datetime, end: datetime, as_of: datetime
    ) -> dict[str, Any]:
        """The account's figures over a custom period, as they stand at as_of."""
        response = await self.get(
            "/api/customers/stats",
            account_id,
            period="custom",
            **{"from": start.isoformat(), "to": end.isoformat()},
            as_of=as_of.isoformat(),
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


# running_stats with the servers given (a test's `start_stats`): topic=, accounts=, clock=.
StartStats = Callable[..., contextlib.AbstractAsyncContextManager[RunningStats]]


@contextlib.asynccontextmanager
async def running_stats(
    *,
    tmp_path: Path,
    database_url: str,
    kafka_bootstrap: str,
    redis_url: str,
    topic: str,
    accounts: list[Account],
    clock: Clock,
) -> AsyncIterator[RunningStats]:
    settings = StatsSettings(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        redis_url=redis_url,
        jwt_secret=JWT_SECRET,
        events_topic=topic,
        accounts_file=write_accounts_file(tmp_path / f"accounts-{topic}.yaml", accounts),
    )
    app = build_app(settings, clock=clock, accounts=Accounts(accounts))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            for _ in range(600):
                if server.started:
                    break
                await asyncio.sleep(0.1)
            assert server.started, "stats did not start"
            yield RunningStats(client, base_url, clock)
    finally:
        server.should_exit = True
        await serving


async def sse_items(
    base_url: str,
    headers: dict[str, str],
    wanted: int,
    *,
    ready: asyncio.Event | None = None,
    params: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Read the ticker stream until `wanted` items arrived; each item with its SSE id."""
    items: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=None) as client,
        client.stream("GET", "/api/ticker/stream", headers=headers, params=params) as response,
    ):
        assert response.status_code == 200, await response.aread()
        if ready is not None:
            ready.set()
        sse_id = None
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                sse_id = line[3:].strip()
            elif line.startswith("data:"):
                items.append({"sse_id": sse_id, **json.loads(line[5:].strip())})
                if len(items) >= wanted:
                    return items
    return items
