from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import structlog
from fastapi import APIRouter

from crm_servicekit.logging import bind_customer_id, event_log_context

from .sample_service import bearer, sample_app

LogLines = Callable[[], list[dict[str, Any]]]

logged = APIRouter()


@logged.get("/api/logged")
async def log_inside_a_request() -> dict[str, str]:
    structlog.get_logger("sample.route").info("handling", step=1)
    bind_customer_id("c-42")
    logging.getLogger("aiokafka.sample").warning("library says %s", "hi")
    return {"status": "ok"}


async def get(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    app = sample_app(routers=(logged,))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        return await c.get(path, headers=headers)


async def test_request_id_is_echoed_when_given(json_log_lines: LogLines) -> None:
    response = await get("/api/logged", {"X-Request-ID": "req-abc.123"})
    assert response.headers["x-request-id"] == "req-abc.123"


async def test_request_id_is_made_when_absent_or_unfit(json_log_lines: LogLines) -> None:
    made = (await get("/api/logged")).headers["x-request-id"]
    replaced = (await get("/api/logged", {"X-Request-ID": "bad id\twith spaces"})).headers[
        "x-request-id"
    ]
    for request_id in (made, replaced):
        assert len(request_id) == 32
        int(request_id, 16)
    assert made != replaced


async def test_every_line_of_a_request_carries_its_id(json_log_lines: LogLines) -> None:
    await get("/api/logged", {"X-Request-ID": "req-1"})
    lines = [line for line in json_log_lines() if line.get("request_id") == "req-1"]
    by_event = {line["event"]: line for line in lines}
    assert set(by_event) >= {"handling", "library says hi", "request finished"}
    handling = by_event["handling"]
    assert handling["level"] == "info"
    assert handling["logger"] == "sample.route"
    assert handling["step"] == 1
    assert handling["service"] == "sample"
    assert datetime.fromisoformat(handling["timestamp"]).utcoffset() is not None
    assert handling["timestamp"].endswith("Z")
    # stdlib records (uvicorn, aiokafka) go through the same renderer and context.
    library = by_event["library says hi"]
    assert (library["level"], library["logger"]) == ("warning", "aiokafka.sample")
    assert library["customer_id"] == "c-42"
    finished = by_event["request finished"]
    assert (finished["status"], finished["path"]) == (200, "/api/logged")


async def test_context_does_not_leak_between_requests(json_log_lines: LogLines) -> None:
    await get("/api/logged", {"X-Request-ID": "first"})
    await get("/health/live", {"X-Request-ID": "second"})
    second = [line for line in json_log_lines() if line.get("request_id") == "second"]
    assert second
    assert all("customer_id" not in line and "account_id" not in line for line in second)


def test_event_context_is_on_lines_inside_and_gone_after(json_log_lines: LogLines) -> None:
    log = structlog.get_logger("sample.consumer")
    with event_log_context(event_id="e-1", customer_id="c-9", account_id="demo"):
        log.info("applying")
    log.info("idle")
    applying, idle = (line for line in json_log_lines() if line["event"] in ("applying", "idle"))
    assert (applying["event_id"], applying["customer_id"], applying["account_id"]) == (
        "e-1",
        "c-9",
        "demo",
    )
    assert "event_id" not in idle
    assert "customer_id" not in idle


async def test_lines_of_an_authenticated_request_name_the_account(json_log_lines: LogLines) -> None:
    response = await get("/api/whoami", bearer("acme"))
    assert response.status_code == 200
    finished = [line for line in json_log_lines() if line["event"] == "request finished"]
    assert finished[-1]["account_id"] == "acme"


async def test_the_callers_context_is_restored_after_an_in_process_request(
    json_log_lines: LogLines,
) -> None:
    with structlog.contextvars.bound_contextvars(test_case="outer"):
        await get("/api/whoami", bearer("acme"))
        assert structlog.contextvars.get_contextvars() == {"test_case": "outer"}
