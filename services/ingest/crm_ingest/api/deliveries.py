"""The webhook deliveries log: what each delivery item of the account came to, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from crm_ingest.api.wiring import WiringDep
from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.deliveries import DeliveryFilter, DeliveryOutcome
from crm_ingest.policy.outcomes import Caller
from crm_ingest.schemas import DeliveryPage
from crm_ingest.service.deliveries import DELIVERIES_CURSOR
from crm_servicekit.instants import From, To
from crm_servicekit.openapi_problems import problems
from crm_servicekit.openapi_security import USER_TOKEN, any_of
from crm_servicekit.pagination import Pagination
from crm_servicekit.problems import FieldError, Unprocessable

router = APIRouter(prefix="/api/hooks", tags=["ingest"])

_AFTER_FROM = [FieldError(("query", "to"), "must be after from")]


async def _person(request: Request, wiring: WiringDep) -> Caller:
    # A dependency, so a request without a valid token is 401 before its parameters are read.
    return await wiring.gate.token_caller(request)


@router.get(
    "/deliveries",
    response_model=DeliveryPage,
    responses=problems(401, 422, 429, 503),
    openapi_extra=any_of([USER_TOKEN]),
)
async def list_deliveries(
    wiring: WiringDep,
    caller: Annotated[Caller, Depends(_person)],
    page: Pagination,
    connector: Annotated[Connector | None, Query()] = None,
    outcome: Annotated[DeliveryOutcome | None, Query()] = None,
    start: From = None,
    end: To = None,
) -> DeliveryPage:
    """What each webhook delivery item of the account came to (connectors and /api/hooks/*),
    newest first; kept `deliveries_retention_days` days."""
    await wiring.gate.within_rate(caller, "hooks_deliveries")
    if start is not None and end is not None and start >= end:
        raise Unprocessable("from must be before to.", errors=_AFTER_FROM)
    keyset = page.keyset(DELIVERIES_CURSOR)
    filters = DeliveryFilter(connector, outcome, start, end)
    return await wiring.deliveries.list(caller.account.account_id, filters, keyset)
