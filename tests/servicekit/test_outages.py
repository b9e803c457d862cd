"""A dependency down is a 503 naming it wherever it escapes a route, logged as a warning; a
connection broken mid-operation is never handed out again (PostgreSQL behind a TCP proxy)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import psycopg2
import pytest
from fastapi import APIRouter
from outage_support import postgres_proxy
from redis.asyncio import Redis

from crm_devstack.kafka_testing import eventually
from crm_devstack.processes import free_port
from crm_servicekit.auth import CurrentAccount
from crm_servicekit.db import create_pool
from crm_servicekit.failures import Dependency, unavailable_dependency
from crm_servicekit.problems import PROBLEM_CONTENT_TYPE

from .sample_service import bearer, sample_app

pytestmark = pytest.mark.integration


def outage_routes(pool: asyncpg.Pool, redis: Redis, sleep_query: str) -> APIRouter:
    router = APIRouter(prefix="/api/outage")

    @router.get("/postgres")
    async def read_postgres(account: CurrentAccount) -> dict[str, int]:
        async with pool.acquire() as conn:
            return {"one": await conn.fetchval("SELECT 1")}

    @router.get("/slow")
    async def slow(account: CurrentAccount) -> dict[str, int]:
        async with pool.acquire() as conn:
            await conn.execute(sleep_query)
        return {}

    @router.get("/redis")
    async def read_redis(account: CurrentAccount) -> dict[str, bool]:
        return {"pong": bool(await redis.ping())}

    return router


class Outage:
    """The sample app with routes on a PostgreSQL behind a proxy and on a Redis nobody runs."""

    def __init__(self, postgres_url: str) -> None:
        # Distinct text, so that the test finds (and ends) its own sleeping backend.
        self.sleep_query = f"SELECT pg_sleep(60) -- outage test {uuid.uuid4().hex}"
        self.postgres_url = postgres_url

    @contextlib.asynccontextmanager
    async def started(self, dsn: str) -> AsyncIterator[httpx.AsyncClient]:
        self.pool = await create_pool(dsn, min_size=3, max_size=3)
        redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
        app = sample_app(routers=(outage_routes(self.pool, redis, self.sleep_query),))
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://sample") as client:
                yield client
        finally:
            await self.pool.close()
            await redis.aclose()
            await self.end_sleepers()

    async def sleepers(self) -> int:
        conn = await asyncpg.connect(self.postgres_url)
        try:
            count: int = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE query = $1", self.sleep_query
            )
            return count
        finally:
            await conn.close()

    async def end_sleepers(self) -> None:
        conn = await asyncpg.connect(self.postgres_url)
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1",
                self.sleep_query,
            )
        finally:
            await conn.close()


def assert_unavailable(response: httpx.Response, dependency: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["dependency"] == dependency


async def test_postgres_refused_is_503_naming_it_and_a_warning_not_a_500(
    postgres_url: str, json_log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    outage = Outage(postgres_url)
    with postgres_proxy(postgres_url) as (proxy, dsn):
        async with outage.started(dsn) as client:
            assert (await client.get("/api/outage/postgres", headers=bearer())).status_code == 200
            await asyncio.to_thread(proxy.refuse)
            down = await client.get("/api/outage/postgres", headers=bearer())
            assert_unavailable(down, "postgres")
            await asyncio.to_thread(proxy.restore)
            back = await eventually(
                lambda: client.get("/api/outage/postgres", headers=bearer()),
                lambda r: r.status_code != 503,
                within_s=60,
            )
            assert back.json() == {"one": 1}
    warnings = [line for line in json_log_lines() if line["event"] == "dependency unavailable"]
    assert warnings, "the outage was not logged"
    assert {line["level"] for line in warnings} == {"warning"}
    assert {line["dependency"] for line in warnings} == {"postgres"}
    assert all(line["error_class"] for line in warnings)
    assert not [line for line in json_log_lines() if line["event"] == "unhandled error"]


async def test_redis_down_is_503_naming_redis(postgres_url: str) -> None:
    outage = Outage(postgres_url)
    async with outage.started(postgres_url) as client:
        assert_unavailable(await client.get("/api/outage/redis", headers=bearer()), "redis")


async def test_a_connection_cut_mid_query_is_never_handed_out_again(
    postgres_url: str, json_log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    outage = Outage(postgres_url)
    with postgres_proxy(postgres_url) as (proxy, dsn):
        async with outage.started(dsn) as client:
            slow = asyncio.create_task(client.get("/api/outage/slow", headers=bearer()))
            await eventually(outage.sleepers, lambda count: count == 1, within_s=60)
            await asyncio.to_thread(proxy.cut)
            assert_unavailable(await slow, "postgres")
            statuses: list[int] = []
            for _ in range(5):  # more requests than the pool has connections, at once
                wave = await asyncio.gather(
                    *(client.get("/api/outage/postgres", headers=bearer()) for _ in range(6))
                )
                statuses += [response.status_code for response in wave]
            assert set(statuses) <= {200, 503}, statuses
            # Once asyncpg saw the cut, every connection handed out is a new, working one.
            await eventually(
                lambda: client.get("/api/outage/postgres", headers=bearer()),
                lambda r: r.status_code == 200,
                within_s=60,
            )
            wave = await asyncio.gather(
                *(client.get("/api/outage/postgres", headers=bearer()) for _ in range(6))
            )
            assert [response.status_code for response in wave] == [200] * 6
    logged = " ".join(str(line) for line in json_log_lines())
    assert "another operation" not in logged
    assert "unhandled error" not in logged


async def test_a_checkout_that_broke_its_connection_never_gives_it_back(new_database: str) -> None:
    pool = await create_pool(new_database, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            first = conn.get_server_pid()
        with pytest.raises(LookupError):
            async with pool.acquire() as conn:
                raise LookupError("a route's own error: the connection is fine")
        async with pool.acquire() as conn:
            assert conn.get_server_pid() == first  # kept
        with pytest.raises(asyncpg.exceptions.InternalClientError):
            async with pool.acquire() as conn:
                # What asyncpg raises on a connection whose session the server ended while
                # it sat in the pool, before it saw the socket close.
                raise asyncpg.exceptions.InternalClientError(
                    "cannot switch to state 15; another operation (2) is in progress"
                )
        async with pool.acquire() as conn:
            assert conn.get_server_pid() != first  # terminated, replaced
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        await pool.close()


def end_backend_while_the_loop_waits(dsn: str, pid: int) -> None:
    """Terminate a backend and wait until it is gone, blocking: the event loop does not run
    meanwhile, so asyncpg has read none of what the server sent before closing."""
    connection = psycopg2.connect(dsn)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
            gone = False
            while not gone:
                cursor.execute("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s", (pid,))
                row = cursor.fetchone()
                gone = bool(row and row[0])
    finally:
        connection.close()


async def test_a_session_the_server_ended_while_pooled_fails_once_as_postgres_unavailable(
    new_database: str,
) -> None:
    pool = await create_pool(new_database, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
        end_backend_while_the_loop_waits(new_database, pid)
        # Two turns of the loop: asyncio reads the server's FATAL message, not yet the end of
        # the stream, the window in which asyncpg's protocol is stuck ("another operation (2)
        # is in progress").
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        with pytest.raises(
            (asyncpg.exceptions.InternalClientError, asyncpg.exceptions.ConnectionDoesNotExistError)
        ) as failed:
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
        assert unavailable_dependency(failed.value) is Dependency.POSTGRES
        async with pool.acquire() as conn:
            assert conn.get_server_pid() != pid
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        await pool.close()
