"""The customers routes (API.md): parse, call one use case in a transaction, answer."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from crm_customers import customer_service, repository
from crm_customers.api_models import CustomerIn, CustomerPatch, NextStageIn
from crm_customers.api_support import (
    VocabularyQuery,
    customer_out,
    keyset_after,
    person_action,
    refusals_as_problems,
    vocabulary_named,
)
from crm_customers.policy import states_showing
from crm_customers.records import Customer
from crm_customers.repository import SORTS, ListQuery
from crm_schemas.vocabulary import UnknownTermError, Vocabulary, parse_status
from crm_servicekit.auth import CurrentPrincipal
from crm_servicekit.idempotency import IdempotencyDep, idempotent
from crm_servicekit.openapi_problems import problems
from crm_servicekit.pagination import Pagination, build_page
from crm_servicekit.problems import FieldError, NotFound, Unprocessable
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep

router = APIRouter(prefix="/api/customers", tags=["customers"])

SORT_CHOICES = sorted([*SORTS, *(f"-{name}" for name in SORTS)])


def _body(customer: Customer, vocabulary: Vocabulary | None) -> dict[str, Any]:
    out = customer_out(customer, vocabulary)
    return out.model_dump(mode="json", exclude={"pipeline_status"} if vocabulary is None else None)


@router.get("")
async def list_customers(
    request: Request,
    principal: CurrentPrincipal,
    page: Pagination,
    vocabulary: VocabularyQuery,
    status: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=255, pattern=r"^[^\x00]*$")] = None,
    sort: Annotated[str, Query(description=f"one of {', '.join(SORT_CHOICES)}")] = "-created_at",
) -> dict[str, Any]:
    if sort not in SORT_CHOICES:
        raise Unprocessable(
            "Unknown sort.",
            errors=[FieldError(("query", "sort"), f"must be one of {', '.join(SORT_CHOICES)}")],
        )
    by = sort.lstrip("-")
    after = keyset_after(page.after, timestamps=by not in ("name", "status"))
    statuses: list[Any] = []
    if status is not None:
        try:
            if vocabulary is None:
                statuses = [(parse_status(status), None, None)]
            else:
                statuses = list(states_showing(status, vocabulary))
        except UnknownTermError as unknown:
            raise Unprocessable(
                str(unknown),
                errors=[
                    FieldError(("query", "status"), f"accepted: {', '.join(unknown.accepted)}")
                ],
                accepted=list(unknown.accepted),
            ) from None
    query = ListQuery(
        account_id=principal.account.account_id,
        statuses=statuses,
        q=q,
        sort=by,
        descending=sort.startswith("-"),
        after=after,
        limit=page.limit,
    )
    async with resources(request).pool.acquire() as conn:
        rows = await repository.list_customers(conn, query)
    built = build_page(rows, page.limit, lambda row: [row[0], str(row[1].id)])
    return {
        "items": [_body(customer, vocabulary) for _, customer in built.items],
        "next_cursor": built.next_cursor,
    }


@router.get("/{customer_id}")
async def get_customer(
    request: Request, customer_id: UUID, principal: CurrentPrincipal, vocabulary: VocabularyQuery
) -> dict[str, Any]:
    async with resources(request).pool.acquire() as conn:
        customer = await repository.get(conn, principal.account.account_id, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    return _body(customer, vocabulary)


# 409: an identity held by another customer; 503: ingest (which holds identities) unreachable
@router.post("", status_code=201, responses=problems(409, 503))
async def create_customer(
    request: Request,
    body: CustomerIn,
    principal: CurrentPrincipal,
    clock: ClockDep,
    idempotency: IdempotencyDep,
    vocabulary: VocabularyQuery,
) -> Response:
    vocabulary = vocabulary_named(body.pipeline, ("body", "pipeline")) or vocabulary
    action = person_action(request, principal, clock, idempotency.key)
    async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
        if slot.replay is not None:
            return slot.replay.to_response()
        with refusals_as_problems():
            customer = await customer_service.create_customer(conn, action, body, vocabulary)
        return slot.respond(201, _body(customer, vocabulary))


@router.put("/{customer_id}", responses=problems(409, 503))
async def update_customer(
    request: Request,
    customer_id: UUID,
    body: CustomerPatch,
    principal: CurrentPrincipal,
    clock: ClockDep,
    vocabulary: VocabularyQuery,
) -> dict[str, Any]:
    vocabulary = vocabulary_named(body.pipeline, ("body", "pipeline")) or vocabulary
    action = person_action(request, principal, clock)
    async with resources(request).pool.acquire() as conn, conn.transaction():
        with refusals_as_problems():
            customer = await customer_service.update_customer(
                conn, action, customer_id, body, vocabulary
            )
    return _body(customer, vocabulary)


@router.delete("/{customer_id}", status_code=204)
async def delete_customer(
    request: Request, customer_id: UUID, principal: CurrentPrincipal, clock: ClockDep
) -> Response:
    action = person_action(request, principal, clock)
    async with resources(request).pool.acquire() as conn, conn.transaction():
        await customer_service.delete_customer(conn, action, customer_id)
    return Response(status_code=204)


@router.post("/{customer_id}/next-stage")
async def next_stage(
    request: Request,
    customer_id: UUID,
    principal: CurrentPrincipal,
    clock: ClockDep,
    idempotency: IdempotencyDep,
    vocabulary: VocabularyQuery,
    body: NextStageIn | None = None,
) -> JSONResponse:
    action = person_action(request, principal, clock, idempotency.key)
    async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
        if slot.replay is not None:
            return slot.replay.to_response()
        with refusals_as_problems():
            customer = await customer_service.next_stage(
                conn, action, customer_id, body or NextStageIn()
            )
        return slot.respond(200, _body(customer, vocabulary))
