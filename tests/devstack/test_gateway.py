"""The gateway: the API's methods and paths reach the service that serves them, through nginx.

The services behind it are stand-ins that answer with their own name, so this test is about
routing alone; every service's own tests cover what it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from api_md_paths import API_PATHS

from crm_devstack.gateway_binary import nginx_binary
from crm_devstack.gateway_config import render
from crm_devstack.gateway_routes import SERVICE_PORTS, service_for
from crm_devstack.processes import free_port
from crm_devstack.system_packages import install_packages, missing_packages

from .console_files import assert_serves_the_console

NOT_ROUTED = [("POST", "/internal/identities/claim"), ("GET", "/api/nothing-here")]


@pytest.mark.parametrize(("method", "path", "service"), API_PATHS)
def test_routing_table_sends_each_api_path_to_its_service(
    method: str, path: str, service: str
) -> None:
    assert service_for(method, path) == service


def test_internal_and_unknown_paths_have_no_route() -> None:
    for method, path in NOT_ROUTED:
        assert service_for(method, path) is None


def stand_in(name: str, release_stream: asyncio.Event):  # type: ignore[no-untyped-def]
    """An ASGI app answering with its service name; its ticker stream waits between events."""

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        if scope["path"] == "/api/ticker/stream":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")],
                }
            )
            await send(
                {"type": "http.response.body", "body": b"id: 1\ndata: first\n\n", "more_body": True}
            )
            await release_stream.wait()  # only once the client has the first event
            await send({"type": "http.response.body", "body": b"id: 2\ndata: second\n\n"})
            return
        body = json.dumps(
            {
                "service": name,
                "path": scope["path"],
                "query": scope["query_string"].decode(),
                "method": scope["method"],
                "request_id": dict(scope["headers"]).get(b"x-request-id", b"").decode(),
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})

    return app


@pytest.fixture
async def gateway(tmp_path: Path, console_build: Path) -> AsyncIterator[tuple[str, asyncio.Event]]:
    if nginx_binary() is None:
        await asyncio.to_thread(install_packages, missing_packages(["gateway"]), print)
    binary = nginx_binary()
    assert binary is not None, "nginx could not be installed"
    release = asyncio.Event()
    servers, upstreams = [], {}
    for name in SERVICE_PORTS:
        port = free_port()
        config = uvicorn.Config(
            stand_in(name, release), host="127.0.0.1", port=port, log_config=None, lifespan="off"
        )
        server = uvicorn.Server(config)
        servers.append((server, asyncio.create_task(server.serve())))
        upstreams[name] = f"127.0.0.1:{port}"
    port = free_port()
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        render(
            listen=f"127.0.0.1:{port}",
            upstreams=upstreams,
            home=tmp_path,
            logs=tmp_path / "logs",
            console=console_build,
        )
    )
    for part in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / part).mkdir(parents=True)
    nginx = await asyncio.create_subprocess_exec(binary, "-c", str(conf), "-p", str(tmp_path))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{base}/gateway/health")).status_code == 200 and all(
                        s.started for s, _ in servers
                    ):
                        break
                await asyncio.sleep(0.05)
        yield base, release
    finally:
        nginx.terminate()
        await asyncio.wait_for(nginx.wait(), timeout=30)
        for server, task in servers:
            server.should_exit = True
            await task


async def test_every_api_path_reaches_its_service_through_nginx(
    gateway: tuple[str, asyncio.Event],
) -> None:
    base, _ = gateway
    async with httpx.AsyncClient(base_url=base) as client:
        for method, path, service in API_PATHS:
            if path.endswith("/stream"):
                continue
            answer = await client.request(method, path, params={"as_of": "2026-11-02T09:00:00Z"})
            assert answer.status_code == 200, (method, path, answer.text)
            seen = answer.json()
            assert (seen["service"], seen["path"], seen["method"]) == (service, path, method)
            assert seen["query"] == "as_of=2026-11-02T09%3A00%3A00Z"
        for method, path in NOT_ROUTED:
            answer = await client.request(method, path)
            assert answer.status_code == 404
            assert answer.headers["content-type"] == "application/problem+json"


async def test_the_console_is_served_at_the_root_and_owns_every_path_outside_the_api(
    gateway: tuple[str, asyncio.Event],
) -> None:
    base, _ = gateway
    await assert_serves_the_console(base)


async def test_server_sent_events_pass_unbuffered(gateway: tuple[str, asyncio.Event]) -> None:
    base, release = gateway
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as client,
        client.stream("GET", "/api/ticker/stream") as stream,
    ):
        lines = stream.aiter_lines()
        # The first event arrives while the service still holds the stream open: had nginx
        # buffered the response, this would wait for the end that never comes.
        assert await anext(lines) == "id: 1"
        assert await anext(lines) == "data: first"
        release.set()
        rest = [line async for line in lines]
    assert "data: second" in rest


async def test_the_request_id_is_passed_on_and_the_access_log_is_json_without_queries(
    gateway: tuple[str, asyncio.Event], tmp_path: Path
) -> None:
    base, _ = gateway
    async with httpx.AsyncClient(base_url=base) as client:
        minted = (await client.get("/api/customers", params={"access_token": "secret-ish"})).json()
        given = (await client.get("/api/nba", headers={"X-Request-ID": "req-from-client"})).json()
    assert re.fullmatch(r"[0-9a-f]{32}", minted["request_id"])
    assert given["request_id"] == "req-from-client"
    log = tmp_path / "logs" / "gateway-access.log"
    by_id = await logged(log, {minted["request_id"], "req-from-client"})
    customers = by_id[minted["request_id"]]
    assert (customers["method"], customers["path"], customers["status"]) == (
        "GET",
        "/api/customers",
        200,
    )
    assert by_id["req-from-client"]["path"] == "/api/nba"
    assert not [line for line in _lines(log) if "secret-ish" in line]


async def logged(log: Path, request_ids: set[str]) -> dict[str, dict[str, object]]:
    """The access log's lines by request id, once it holds every one asked for (nginx writes a
    line as it finishes the request, which may be just after the client has the answer)."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        lines = [json.loads(line) for line in (await asyncio.to_thread(_lines, log))]
        by_id = {str(line["request_id"]): line for line in lines}
        if request_ids <= by_id.keys() or asyncio.get_running_loop().time() > deadline:
            return by_id
        await asyncio.sleep(0.05)


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []
