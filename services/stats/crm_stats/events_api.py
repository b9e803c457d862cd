"""The account's event log: GET /api/events, /api/events/customer/{id}, /api/events/type/{name}."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from crm_schemas.catalog import KNOWN_EVENT_NAMES
from crm_servicekit.auth import CurrentAccount
from crm_servicekit.instants import From, To
from crm_servicekit.pagination import Page, Pagination
from crm_servicekit.problems import FieldError, Unprocessable
from crm_servicekit.runtime import resources
from crm_stats.event_log import EventFilter, list_events

router = APIRouter(prefix="/api/events", tags=["events"])


def _event_name(name: str | None, loc: tuple[str, str]) -> str | None:
    if name is None or name in KNOWN_EVENT_NAMES:
        return name
    raise Unprocessable(
        f"Unknown event type {name!r}.",
        errors=[FieldError(loc, "not an event of the catalog")],
        accepted=sorted(KNOWN_EVENT_NAMES),
    )


async def _page(request: Request, account_id: str, where: EventFilter, page: Any) -> Any:
    if where.start is not None and where.end is not None and where.start >= where.end:
        raise Unprocessable(
            "from must be before to.", errors=[FieldError(("query", "to"), "must be after from")]
        )
    async with resources(request).pool.acquire() as conn:
        return await list_events(conn, account_id, where, page)


@router.get("")
async def events(
    request: Request,
    account: CurrentAccount,
    page: Pagination,
    type: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: UUID | None = None,
    start: From = None,
    end: To = None,
) -> Page[dict[str, Any]]:
    where = EventFilter(_event_name(type, ("query", "type")), customer_id, start, end)
    result: Page[dict[str, Any]] = await _page(request, account.account_id, where, page)
    return result


@router.get("/customer/{customer_id}")
async def events_of_customer(
    request: Request,
    account: CurrentAccount,
    customer_id: UUID,
    page: Pagination,
    start: From = None,
    end: To = None,
) -> Page[dict[str, Any]]:
    where = EventFilter(None, customer_id, start, end)
    result: Page[dict[str, Any]] = await _page(request, account.account_id, where, page)
    return result


@router.get("/type/{event_name}")
async def events_of_type(
    request: Request,
    account: CurrentAccount,
    event_name: str,
    page: Pagination,
    start: From = None,
    end: To = None,
) -> Page[dict[str, Any]]:
    where = EventFilter(_event_name(event_name, ("path", "event_name")), None, start, end)
    result: Page[dict[str, Any]] = await _page(request, account.account_id, where, page)
    return result
