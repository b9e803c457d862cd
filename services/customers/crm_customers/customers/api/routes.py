"""The customers routes: parse, call one use case in a transaction, answer."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from crm_customers.customers.api.requests import (
    CustomerPosition,
    OutletsDep,
    TextPosition,
    TimePosition,
    VocabularyQuery,
    by_person,
    refusals_as_problems,
    vocabulary_named,
)
from crm_customers.customers.policy.booking_link import NotASchedulingUrl, with_reference
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.moves import states_filtered
from crm_customers.customers.repository.lists import SORTS, TEXT_SORTS, ListQuery
from crm_customers.customers.schemas import (
    BookingLinkOut,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    NextStageIn,
)
from crm_customers.customers.service import person, reads
from crm_schemas.storable import StorableText
from crm_schemas.vocabulary import UnknownTermError, Vocabulary
from crm_servicekit.auth import CurrentPrincipal
from crm_servicekit.idempotency import IdempotencyDep, idempotent
from crm_servicekit.openapi_problems import problems
from crm_servicekit.pagination import CursorKind, Pagination
from crm_servicekit.problems import FieldError, Unprocessable
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep

router = APIRouter(prefix="/api/customers", tags=["customers"])

SORT_CHOICES = sorted([*SORTS, *(f"-{name}" for name in SORTS)])
# A cursor is bound to its sort (and direction): one of another sort is 422.
CURSORS = {
    sort: CursorKind[CustomerPosition](
        f"/api/customers?sort={sort}",
        TextPosition if sort.lstrip("-") in TEXT_SORTS else TimePosition,
    )
    for sort in SORT_CHOICES
}


# A card answers pipeline_status only when a vocabulary was asked for (the field is set then
# only), hence response_model_exclude_unset on the routes answering cards.
@router.get("", response_model=CustomerPage, response_model_exclude_unset=True)
async def list_page(
    request: Request,
    principal: CurrentPrincipal,
    page: Pagination,
    vocabulary: VocabularyQuery,
    status: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[StorableText | None, Query(min_length=1, max_length=255)] = None,
    sort: Annotated[str, Query(description=f"one of {', '.join(SORT_CHOICES)}")] = "-created_at",
) -> CustomerPage:
    if sort not in SORT_CHOICES:
        raise Unprocessable(
            "Unknown sort.",
            errors=[FieldError(("query", "sort"), f"must be one of {', '.join(SORT_CHOICES)}")],
        )
    by = sort.lstrip("-")
    keyset = page.keyset(CURSORS[sort])
    try:
        statuses = states_filtered(status, vocabulary) if status is not None else []
    except UnknownTermError as unknown:
        raise Unprocessable(
            str(unknown),
            errors=[FieldError(("query", "status"), f"accepted: {', '.join(unknown.accepted)}")],
            accepted=list(unknown.accepted),
        ) from None
    query = ListQuery(
        account_id=principal.account.account_id,
        statuses=statuses,
        q=q,
        sort=by,
        descending=sort.startswith("-"),
        after=keyset.after,
        limit=keyset.limit,
    )
    async with resources(request).pool.acquire() as conn:
        rows = await reads.listed(conn, query)
    built = keyset.page(rows, lambda row: (row[0], row[1].id))
    return CustomerPage(
        items=[CustomerOut.of(customer, vocabulary) for _, customer in built.items],
        next_cursor=built.next_cursor,
    )


@router.get("/{customer_id}", response_model=CustomerOut, response_model_exclude_unset=True)
async def get_customer(
    request: Request, customer_id: UUID, principal: CurrentPrincipal, vocabulary: VocabularyQuery
) -> CustomerOut:
    async with resources(request).pool.acquire() as conn:
        customer = await reads.customer(conn, principal.account.account_id, customer_id)
    return CustomerOut.of(customer, vocabulary)


@router.get("/{customer_id}/booking-link", response_model=BookingLinkOut)
async def booking_link(
    request: Request,
    customer_id: UUID,
    principal: CurrentPrincipal,
    url: Annotated[
        StorableText,
        Query(min_length=1, max_length=2048, description="the booking tool's scheduling URL"),
    ],
) -> BookingLinkOut:
    try:
        link = with_reference(url, customer_id)
    except NotASchedulingUrl as bad:
        raise Unprocessable(
            "Not a scheduling URL.", errors=[FieldError(("query", "url"), str(bad))]
        ) from None
    async with resources(request).pool.acquire() as conn:
        await reads.customer(conn, principal.account.account_id, customer_id)
    return BookingLinkOut(url=link)


def _card(customer: Customer, vocabulary: Vocabulary | None) -> dict[str, Any]:
    """The card as an idempotent answer records it (JSON, the fields set)."""
    return CustomerOut.of(customer, vocabulary).model_dump(mode="json", exclude_unset=True)


# 409: an identity held by another customer; 503: ingest (which holds identities) unreachable
@router.post(
    "",
    status_code=201,
    response_model=CustomerOut,
    response_model_exclude_unset=True,
    responses=problems(409, 503),
)
async def create_customer(
    request: Request,
    body: CustomerIn,
    principal: CurrentPrincipal,
    clock: ClockDep,
    idempotency: IdempotencyDep,
    vocabulary: VocabularyQuery,
    outlets: OutletsDep,
) -> Response:
    vocabulary = vocabulary_named(body.pipeline, ("body", "pipeline")) or vocabulary
    who = by_person(request, principal, clock, idempotency.key)
    pool = resources(request).pool
    async with (
        person.claiming(pool, outlets) as claims,  # released if the commit fails after the claim
        pool.acquire() as conn,
        idempotent(conn, idempotency) as slot,
    ):
        if slot.replay is not None:
            return slot.replay.to_response()
        with refusals_as_problems():
            customer = await person.create_customer(conn, outlets, claims, who, body, vocabulary)
        return slot.respond(201, _card(customer, vocabulary))


@router.put(
    "/{customer_id}",
    response_model=CustomerOut,
    response_model_exclude_unset=True,
    responses=problems(409, 503),
)
async def update_customer(
    request: Request,
    customer_id: UUID,
    body: CustomerPatch,
    principal: CurrentPrincipal,
    clock: ClockDep,
    vocabulary: VocabularyQuery,
    outlets: OutletsDep,
) -> CustomerOut:
    vocabulary = vocabulary_named(body.pipeline, ("body", "pipeline")) or vocabulary
    who = by_person(request, principal, clock)
    with refusals_as_problems():  # the use case runs its transaction (and mends a failed one)
        customer = await person.update_customer(
            resources(request).pool, outlets, who, customer_id, body, vocabulary
        )
    return CustomerOut.of(customer, vocabulary)


@router.delete("/{customer_id}", status_code=204, response_model=None)
async def delete_customer(
    request: Request,
    customer_id: UUID,
    principal: CurrentPrincipal,
    clock: ClockDep,
    outlets: OutletsDep,
) -> Response:
    who = by_person(request, principal, clock)
    async with resources(request).pool.acquire() as conn, conn.transaction():
        await person.delete_customer(conn, outlets, who, customer_id)
    return Response(status_code=204)


@router.post(
    "/{customer_id}/next-stage", response_model=CustomerOut, response_model_exclude_unset=True
)
async def next_stage(
    request: Request,
    customer_id: UUID,
    principal: CurrentPrincipal,
    clock: ClockDep,
    idempotency: IdempotencyDep,
    vocabulary: VocabularyQuery,
    outlets: OutletsDep,
    body: NextStageIn | None = None,
) -> Response:
    who = by_person(request, principal, clock, idempotency.key)
    async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
        if slot.replay is not None:
            return slot.replay.to_response()
        with refusals_as_problems():
            customer = await person.next_stage(
                conn, outlets, who, customer_id, body or NextStageIn(), vocabulary
            )
        return slot.respond(200, _card(customer, vocabulary))
