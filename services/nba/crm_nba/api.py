"""The nba routes: who next, one customer's action, analyze, coaching."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from crm_nba.announce import Outlet
from crm_nba.policy.coaching import local_day
from crm_nba.schemas import AnalyzeRequest, Coaching, HistoryAnalysis, Recomputed
from crm_nba.service.coaching import coaching_at
from crm_nba.service.history import assess_history
from crm_nba.service.recompute import recompute_asked
from crm_nba.service.who_next import WhoNextPosition, customer_recommendation, who_next_at
from crm_schemas.system_properties import Recommendation
from crm_servicekit.auth import CurrentAccount
from crm_servicekit.instants import AsOf
from crm_servicekit.pagination import CursorKind, Page, Pagination
from crm_servicekit.problems import NotFound
from crm_servicekit.runtime import resources, wired
from crm_servicekit.service_context import ClockDep

router = APIRouter(prefix="/api", tags=["nba"])


# The accounts and the topic, as main.py wired them.
OutletDep = Annotated[Outlet, Depends(wired(Outlet))]
WHO_NEXT_CURSOR = CursorKind("/api/nba", WhoNextPosition)


@router.get("/nba", response_model=Page[Recommendation])
async def who_next(
    request: Request, account: CurrentAccount, page: Pagination, clock: ClockDep, as_of: AsOf = None
) -> Response:
    keyset = page.keyset(WHO_NEXT_CURSOR)
    async with resources(request).pool.acquire() as conn:
        found = await who_next_at(conn, account, as_of or clock.now(), keyset)
    # The stored JSON goes out as stored (it was a validated Recommendation when written).
    return Response(found.to_json(), media_type="application/json")


@router.get("/nba/customer/{customer_id}", response_model=Recommendation)
async def customer_nba(
    request: Request,
    customer_id: UUID,
    account: CurrentAccount,
    clock: ClockDep,
    as_of: AsOf = None,
) -> Recommendation:
    async with resources(request).pool.acquire() as conn:
        found = await customer_recommendation(conn, account, customer_id, as_of or clock.now())
    if found is None:
        raise NotFound(f"No customer {customer_id} in this account.")
    return found


@router.post("/nba/analyze", response_model=Recomputed | HistoryAnalysis)
async def analyze(
    request: Request, body: AnalyzeRequest, account: CurrentAccount, clock: ClockDep, out: OutletDep
) -> Recomputed | HistoryAnalysis:
    now = clock.now()
    if body.history is not None:
        async with resources(request).pool.acquire() as conn:
            assessment = await assess_history(
                conn, body.history, body.customer_id, account, body.as_of or now
            )
        return HistoryAnalysis(
            **assessment.recommendation.model_dump(), next_change_at=assessment.next_change_at
        )
    assert body.customer_ids is not None
    wanted = list(dict.fromkeys(body.customer_ids))
    async with resources(request).pool.acquire() as conn, conn.transaction():
        recomputed = await recompute_asked(conn, account.account_id, wanted, out, now)
    seen = {r.customer_id for r in recomputed}
    return Recomputed(items=recomputed, not_found=[c for c in wanted if c not in seen])


@router.get("/coaching", response_model=Coaching)
async def coaching(
    request: Request, account: CurrentAccount, clock: ClockDep, as_of: AsOf = None
) -> Coaching:
    moment = as_of or clock.now()
    async with resources(request).pool.acquire() as conn:
        prompts = await coaching_at(conn, account, moment)
    return Coaching(
        as_of=moment, local_date=local_day(moment, account.zone).isoformat(), items=prompts
    )
