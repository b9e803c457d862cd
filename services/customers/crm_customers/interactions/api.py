"""The interactions routes: CRUD and the upcoming list."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response

from crm_customers.customers.api.requests import OutletsDep, TimePosition, by_person
from crm_customers.interactions import service
from crm_customers.interactions.schemas import (
    InteractionIn,
    InteractionOut,
    InteractionPage,
    InteractionPatch,
)
from crm_schemas.system_properties import Interaction
from crm_servicekit.auth import CurrentPrincipal
from crm_servicekit.idempotency import IdempotencyDep, idempotent
from crm_servicekit.instants import AsOf
from crm_servicekit.pagination import CursorKind, Pagination
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep

router = APIRouter(prefix="/api/interactions", tags=["interactions"])
OF_CUSTOMER_CURSOR = CursorKind("/api/interactions/customer", TimePosition)
UPCOMING_CURSOR = CursorKind("/api/interactions/upcoming", TimePosition)


@router.get("/customer/{customer_id}", response_model=InteractionPage)
async def of_customer(
    request: Request, customer_id: UUID, principal: CurrentPrincipal, page: Pagination
) -> InteractionPage:
    """Newest first; an id this account does not have gives an empty list."""
    keyset = page.keyset(OF_CUSTOMER_CURSOR)
    async with resources(request).pool.acquire() as conn:
        found = await service.of_customer(
            conn, principal.account.account_id, customer_id, keyset.after, keyset.limit
        )
    built = keyset.page(found, lambda i: TimePosition(i.occurred_at, i.id))
    return InteractionPage(items=built.items, next_cursor=built.next_cursor)


@router.get("/upcoming", response_model=InteractionPage)
async def upcoming(
    request: Request,
    principal: CurrentPrincipal,
    clock: ClockDep,
    page: Pagination,
    as_of: AsOf = None,
) -> InteractionPage:
    """Not completed, scheduled at or after as_of, soonest first."""
    moment = as_of or clock.now()
    keyset = page.keyset(UPCOMING_CURSOR)
    async with resources(request).pool.acquire() as conn:
        found = await service.upcoming(
            conn, principal.account.account_id, moment, keyset.after, keyset.limit
        )
    built = keyset.page(found, _scheduled_position)
    return InteractionPage(items=built.items, next_cursor=built.next_cursor)


def _scheduled_position(interaction: Interaction) -> TimePosition:
    # The upcoming list holds scheduled interactions only.
    assert interaction.scheduled_for is not None
    return TimePosition(interaction.scheduled_for, interaction.id)


@router.get("/{interaction_id}", response_model=InteractionOut)
async def get_interaction(
    request: Request, interaction_id: UUID, principal: CurrentPrincipal
) -> InteractionOut:
    async with resources(request).pool.acquire() as conn, conn.transaction():
        return await service.interaction(conn, principal.account.account_id, interaction_id)


@router.post("", status_code=201, response_model=InteractionOut)
async def log_interaction(
    request: Request,
    body: InteractionIn,
    principal: CurrentPrincipal,
    clock: ClockDep,
    idempotency: IdempotencyDep,
    outlets: OutletsDep,
) -> Response:
    who = by_person(request, principal, clock, idempotency.key)
    async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
        if slot.replay is not None:
            return slot.replay.to_response()
        logged = await service.log_interaction(conn, outlets, who, body)
        return slot.respond(201, logged.model_dump(mode="json"))


@router.put("/{interaction_id}", response_model=InteractionOut)
async def change_interaction(
    request: Request,
    interaction_id: UUID,
    body: InteractionPatch,
    principal: CurrentPrincipal,
    clock: ClockDep,
    outlets: OutletsDep,
) -> InteractionOut:
    who = by_person(request, principal, clock)
    async with resources(request).pool.acquire() as conn, conn.transaction():
        return await service.change_interaction(conn, outlets, who, interaction_id, body)


@router.delete("/{interaction_id}", status_code=204, response_model=None)
async def delete_interaction(
    request: Request,
    interaction_id: UUID,
    principal: CurrentPrincipal,
    clock: ClockDep,
    outlets: OutletsDep,
) -> Response:
    who = by_person(request, principal, clock)
    async with resources(request).pool.acquire() as conn, conn.transaction():
        await service.delete_interaction(conn, outlets, who, interaction_id)
    return Response(status_code=204)
