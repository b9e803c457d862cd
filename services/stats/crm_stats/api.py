"""The stats API: the dashboard (GET /api/customers/stats, /api/stats/dmo), the account's event
log (GET /api/events...) and the live ticker (GET /api/ticker, /api/ticker/stream over SSE)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from redis.asyncio import Redis
from sse_starlette import EventSourceResponse, ServerSentEvent

from crm_schemas.catalog import KNOWN_EVENT_NAMES, EventName
from crm_schemas.vocabulary import UnknownTermError, Vocabulary, parse_vocabulary
from crm_servicekit.auth import CurrentAccount, CurrentStreamAccount
from crm_servicekit.instants import AsOf, From, To
from crm_servicekit.openapi_problems import problems
from crm_servicekit.pagination import CursorKind, PageRequest, Pagination
from crm_servicekit.problems import FieldError, ServiceUnavailable, Unprocessable
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep
from crm_stats import service
from crm_stats.policy.periods import PeriodName
from crm_stats.repository.event_log import EventFilter, LogPosition
from crm_stats.schemas import CustomerStats, DmoDays, EventPage, TickerItems
from crm_stats.settings import StatsSettings

_EVENT_STREAM = {
    "description": "Server-Sent Events `ticker`, each `data` one ticker item as JSON and `id` its"
    " stream id (send it back as Last-Event-ID to resume).",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}
stats_router = APIRouter(prefix="/api", tags=["stats"])
events_router = APIRouter(prefix="/api/events", tags=["events"])
ticker_router = APIRouter(prefix="/api/ticker", tags=["ticker"])
ROUTERS = (stats_router, events_router, ticker_router)

KEEP_ALIVE_S = 15
_STREAM_ID_PARTS = 2
_AFTER_FROM = [FieldError(("query", "to"), "must be after from")]
# The log's three lists page in one order, yet each takes only its own cursors.
ALL_EVENTS_CURSOR = CursorKind("/api/events", LogPosition)
CUSTOMER_EVENTS_CURSOR = CursorKind("/api/events/customer", LogPosition)
TYPE_EVENTS_CURSOR = CursorKind("/api/events/type", LogPosition)


def _vocabulary(pipeline: str | None) -> Vocabulary | None:
    if pipeline is None:
        return None
    try:
        return parse_vocabulary(pipeline)
    except UnknownTermError as error:
        raise Unprocessable(
            f"Unknown pipeline {pipeline!r}.",
            errors=[FieldError(("query", "pipeline"), f"accepted: {', '.join(error.accepted)}")],
            accepted=list(error.accepted),
        ) from None


def _custom_bounds(
    period: PeriodName, start: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None]:
    if period is not PeriodName.CUSTOM:
        return None, None
    missing = [
        FieldError(("query", n), "required for period=custom")
        for n, v in (("from", start), ("to", end))
        if v is None
    ]
    if missing:
        raise Unprocessable("A custom period needs from and to.", errors=missing)
    assert start is not None
    assert end is not None
    if start >= end:
        raise Unprocessable("from must be before to.", errors=_AFTER_FROM)
    return start, end


@stats_router.get("/customers/stats", response_model=CustomerStats)
async def customer_stats(
    request: Request,
    account: CurrentAccount,
    clock: ClockDep,
    period: PeriodName = PeriodName.TODAY,
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
    pipeline: Annotated[str | None, Query(max_length=64)] = None,
) -> CustomerStats:
    vocabulary = _vocabulary(pipeline)
    bounds = _custom_bounds(period, start, end)
    moment = as_of or clock.now()
    pool = resources(request).pool
    return await service.customer_stats(pool, account, period, bounds, moment, vocabulary)


@stats_router.get("/stats/dmo", response_model=DmoDays)
async def dmo(
    request: Request,
    account: CurrentAccount,
    clock: ClockDep,
    days: Annotated[int, Query(ge=1, le=90)] = 7,
    as_of: AsOf = None,
) -> DmoDays:
    moment = as_of or clock.now()
    return await service.dmo_progress(resources(request).pool, account, moment, days)


def _event_name(name: str | None, loc: tuple[str, str]) -> EventName | None:
    if name is None:
        return None
    if name in KNOWN_EVENT_NAMES:
        return EventName(name)
    raise Unprocessable(
        f"Unknown event type {name!r}.",
        errors=[FieldError(loc, "not an event of the catalog")],
        accepted=sorted(KNOWN_EVENT_NAMES),
    )


async def _page(
    request: Request,
    account_id: str,
    where: EventFilter,
    page: PageRequest,
    kind: CursorKind[LogPosition],
) -> EventPage:
    if where.start is not None and where.end is not None and where.start >= where.end:
        raise Unprocessable("from must be before to.", errors=_AFTER_FROM)
    keyset = page.keyset(kind)
    return await service.events_page(resources(request).pool, account_id, where, keyset)


@events_router.get("", response_model=EventPage)
async def events(
    request: Request,
    account: CurrentAccount,
    page: Pagination,
    type: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: UUID | None = None,
    start: From = None,
    end: To = None,
) -> EventPage:
    where = EventFilter(_event_name(type, ("query", "type")), customer_id, start, end)
    return await _page(request, account.account_id, where, page, ALL_EVENTS_CURSOR)


@events_router.get("/customer/{customer_id}", response_model=EventPage)
async def events_of_customer(
    request: Request,
    account: CurrentAccount,
    customer_id: UUID,
    page: Pagination,
    start: From = None,
    end: To = None,
) -> EventPage:
    where = EventFilter(None, customer_id, start, end)
    return await _page(request, account.account_id, where, page, CUSTOMER_EVENTS_CURSOR)


@events_router.get("/type/{event_name}", response_model=EventPage)
async def events_of_type(
    request: Request,
    account: CurrentAccount,
    event_name: str,
    page: Pagination,
    start: From = None,
    end: To = None,
) -> EventPage:
    where = EventFilter(_event_name(event_name, ("path", "event_name")), None, start, end)
    return await _page(request, account.account_id, where, page, TYPE_EVENTS_CURSOR)


def _redis(request: Request) -> Redis:
    redis = resources(request).redis
    if redis is None:
        raise ServiceUnavailable("The ticker's Redis is not configured.", retry_after_s=5)
    return redis


def _settings(request: Request) -> StatsSettings:
    settings = resources(request).settings
    assert isinstance(settings, StatsSettings), "stats runs with its own settings"
    return settings


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


@ticker_router.get("", response_model=TickerItems, responses=problems(503))
async def ticker(
    request: Request,
    account: CurrentAccount,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> TickerItems:
    timeout_s = _settings(request).ticker_redis_timeout_s
    return await service.newest_ticker_items(_redis(request), account.account_id, limit, timeout_s)


# A stream of Server-Sent Events, not one JSON body: documented as text/event-stream.
@ticker_router.get(
    "/stream",
    response_model=None,
    response_class=EventSourceResponse,
    responses={200: _EVENT_STREAM, **problems(503)},
)
async def ticker_stream(
    request: Request,
    account: CurrentStreamAccount,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    redis = _redis(request)
    resume_from = _stream_id(last_event_id)
    live = await service.live_ticker(
        redis,
        account.account_id,
        resume_from,
        request.is_disconnected,
        _settings(request).ticker_redis_timeout_s,
    )

    async def items() -> AsyncIterator[ServerSentEvent]:
        async for item in live:
            yield ServerSentEvent(data=json.dumps(item), id=item["id"], event="ticker")

    return EventSourceResponse(items(), ping=KEEP_ALIVE_S)
