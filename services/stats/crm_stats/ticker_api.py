"""GET /api/ticker (newest items) and GET /api/ticker/stream (Server-Sent Events)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from redis.asyncio import Redis
from sse_starlette import EventSourceResponse, ServerSentEvent

from crm_servicekit.auth import CurrentAccount
from crm_servicekit.problems import FieldError, ServiceUnavailable, Unprocessable
from crm_servicekit.runtime import resources
from crm_stats.ticker_stream import live_items, recent_items

router = APIRouter(prefix="/api/ticker", tags=["ticker"])
KEEP_ALIVE_S = 15
_STREAM_ID_PARTS = 2


def _redis(request: Request) -> Redis:
    redis = resources(request).redis
    if redis is None:
        raise ServiceUnavailable("The ticker's Redis is not configured.", retry_after_s=5)
    return redis


def _stream_id(value: str | None) -> str | None:
    """A Last-Event-ID is one of our stream ids ('<ms>-<seq>'); anything else is 422."""
    if value is None:
        return None
    parts = value.split("-")
    if len(parts) != _STREAM_ID_PARTS or not all(p.isdigit() for p in parts):
        raise Unprocessable(
            "Last-Event-ID is not a ticker item id.",
            errors=[FieldError(("header", "last-event-id"), "expected <ms>-<seq>")],
        )
    return value


@router.get("")
async def ticker(
    request: Request,
    account: CurrentAccount,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    return {"items": await recent_items(_redis(request), account.account_id, limit)}


@router.get("/stream")
async def ticker_stream(
    request: Request,
    account: CurrentAccount,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    redis = _redis(request)
    resume_from = _stream_id(last_event_id)

    async def items() -> AsyncIterator[ServerSentEvent]:
        async for item in live_items(
            redis, account.account_id, resume_from, request.is_disconnected
        ):
            yield ServerSentEvent(data=json.dumps(item), id=item["id"], event="ticker")

    return EventSourceResponse(items(), ping=KEEP_ALIVE_S)
