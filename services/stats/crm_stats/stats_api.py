"""GET /api/customers/stats and GET /api/stats/dmo."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from crm_schemas.vocabulary import UnknownTermError, Vocabulary, parse_vocabulary
from crm_servicekit.auth import CurrentAccount
from crm_servicekit.instants import AsOf, From, To
from crm_servicekit.problems import FieldError, Unprocessable
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep
from crm_stats.dmo import STREAK_HORIZON_DAYS, dmo_days
from crm_stats.periods import PeriodName, local_date, resolve_period
from crm_stats.policy import stats_figures
from crm_stats.stats_queries import day_tallies, stats_inputs, targets_of

router = APIRouter(prefix="/api", tags=["stats"])


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
        raise Unprocessable(
            "from must be before to.", errors=[FieldError(("query", "to"), "must be after from")]
        )
    return start, end


@router.get("/customers/stats")
async def customer_stats(
    request: Request,
    account: CurrentAccount,
    clock: ClockDep,
    period: PeriodName = PeriodName.TODAY,
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
    pipeline: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    vocabulary = _vocabulary(pipeline)
    first, last = _custom_bounds(period, start, end)
    moment = as_of or clock.now()
    window = resolve_period(period, moment, account.zone, first, last)
    inputs = await stats_inputs(resources(request).pool, account, window, moment)
    return stats_figures(inputs, vocabulary)


@router.get("/stats/dmo")
async def dmo(
    request: Request,
    account: CurrentAccount,
    clock: ClockDep,
    days: Annotated[int, Query(ge=1, le=90)] = 7,
    as_of: AsOf = None,
) -> dict[str, Any]:
    moment = as_of or clock.now()
    async with resources(request).pool.acquire() as conn:
        tallies = await day_tallies(
            conn, account.account_id, account.zone, moment, STREAK_HORIZON_DAYS
        )
    return dmo_days(tallies, targets_of(account), local_date(moment, account.zone), days)
