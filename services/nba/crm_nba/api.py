"""The nba section of API.md: who next, one customer's action, analyze, coaching."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from crm_nba import reading
from crm_nba.coaching import local_day
from crm_nba.projection import project
from crm_nba.schemas import AnalyzeRequest, Coaching, HistoryAnalysis, HistoryEvent, Recomputed
from crm_nba.service import Cause, Outlet, recompute
from crm_nba.transitions import assess
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import Recommendation
from crm_servicekit.accounts import Account
from crm_servicekit.auth import CurrentAccount
from crm_servicekit.instants import AsOf
from crm_servicekit.pagination import Page, Pagination
from crm_servicekit.problems import FieldError, NotFound, Unprocessable
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep

router = APIRouter(prefix="/api", tags=["nba"])


async def outlet(request: Request) -> Outlet:  # async: no worker-thread hop
    found = getattr(request.app.state, "nba_outlet", None)
    if not isinstance(found, Outlet):
        raise RuntimeError("the NBA app was built without its outlet")
    return found


OutletDep = Annotated[Outlet, Depends(outlet)]


@router.get("/nba", response_model=Page[Recommendation])
async def who_next(
    request: Request, account: CurrentAccount, page: Pagination, clock: ClockDep, as_of: AsOf = None
) -> Response:
    async with resources(request).pool.acquire() as conn:
        found = await reading.who_next(conn, account, as_of or clock.now(), page)
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
        found = await reading.customer_recommendation(
            conn, account, customer_id, as_of or clock.now()
        )
    if found is None:
        raise NotFound(f"No customer {customer_id} in this account.")
    return found


@router.post("/nba/analyze", response_model=Recomputed | HistoryAnalysis)
async def analyze(
    request: Request, body: AnalyzeRequest, account: CurrentAccount, clock: ClockDep, out: OutletDep
) -> Recomputed | HistoryAnalysis:
    now = clock.now()
    if body.history is not None:
        return analyze_history(body, account, body.as_of or now)
    assert body.customer_ids is not None
    wanted = list(dict.fromkeys(body.customer_ids))
    causes = {
        (account.account_id, c): Cause(f"nba-analyze:{c}:{now.isoformat()}", now) for c in wanted
    }
    async with resources(request).pool.acquire() as conn, conn.transaction():
        # A person asked: fold each journal from the start, whatever is stored.
        recomputed = await recompute(conn, causes, out, now, from_journal=True)
    seen = {r.customer_id for r in recomputed}
    return Recomputed(items=recomputed, not_found=[c for c in wanted if c not in seen])


def analyze_history(body: AnalyzeRequest, account: Account, as_of: datetime) -> HistoryAnalysis:
    """What the policy gives for a posted history; nothing is stored."""
    assert body.history is not None
    customer = _history_customer(body.history, body.customer_id)
    events = [
        _as_envelope(event, index, account.account_id, customer)
        for index, event in enumerate(body.history)
    ]
    assessment = assess(project(customer, events), as_of, account)
    return HistoryAnalysis(
        **assessment.recommendation.model_dump(), next_change_at=assessment.next_change_at
    )


@router.get("/coaching", response_model=Coaching)
async def coaching(
    request: Request, account: CurrentAccount, clock: ClockDep, as_of: AsOf = None
) -> Coaching:
    moment = as_of or clock.now()
    async with resources(request).pool.acquire() as conn:
        prompts = await reading.coaching_at(conn, account, moment)
    return Coaching(as_of=moment, local_date=local_day(moment, account).isoformat(), items=prompts)


def _history_customer(history: list[HistoryEvent], given: UUID | None) -> UUID:
    named = {e.customer_id for e in history if e.customer_id is not None}
    if given is not None:
        named.add(given)
    if len(named) != 1:
        problem = "names several customers" if named else "names no customer"
        raise Unprocessable(
            f"The history {problem}; it must be about one customer.",
            errors=[FieldError(("body", "customer_id"), f"the history {problem}")],
        )
    return named.pop()


def _as_envelope(event: HistoryEvent, index: int, account_id: str, customer: UUID) -> EventEnvelope:
    if event.customer_id is not None and event.customer_id != customer:
        raise Unprocessable(
            "Every event of a history must be about the same customer.",
            errors=[FieldError(("body", "history", index, "customer_id"), "another customer")],
        )
    try:
        return EventEnvelope(
            event_name=event.event_name,
            event_id=event.event_id,
            timestamp=event.timestamp,
            account_id=account_id,
            customer_id=customer,
            source=event.source or Source.MANUAL,
            properties=event.properties,
            consent=event.consent,
            received_at=event.timestamp,
            producer="analyze",
        )
    except ValidationError as exc:
        raise Unprocessable(
            f"History event {index} is not valid for {event.event_name}.",
            errors=[
                FieldError(("body", "history", index, *err["loc"]), err["msg"])
                for err in exc.errors()
            ],
        ) from None
