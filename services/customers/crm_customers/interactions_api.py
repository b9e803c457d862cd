"""The interactions routes (API.md): CRUD and the upcoming list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from crm_customers import interaction_repository, interaction_service
from crm_customers.api_models import InteractionIn, InteractionPatch
from crm_customers.api_support import keyset_after, person_action
from crm_schemas.system_properties import Interaction
from crm_servicekit.auth import CurrentPrincipal
from crm_servicekit.idempotency import IdempotencyDep, idempotent
from crm_servicekit.instants import AsOf
from crm_servicekit.openapi_problems import problems
from crm_servicekit.pagination import Pagination, build_page
from crm_servicekit.problems import NotFound
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep

router = APIRouter(prefix="/api/interactions", tags=["interactions"])


def _out(interaction: Interaction) -> dict[str, Any]:
    return interaction.model_dump(mode="json")


@router.get("/customer/{customer_id}")
async def of_customer(
    request: Request, customer_id: UUID, principal: CurrentPrincipal, page: Pagination
) -> dict[str, Any]:
    """Newest first; an id this account does not have gives an empty list."""
    async with resources(request).pool.acquire() as conn:
        found = await interaction_repository.of_customer(
            conn,
            principal.account.account_id,
            customer_id,
            keyset_after(page.after, timestamps=True),
            page.limit,
        )
    built = build_page(found, page.limit, lambda i: [i.occurred_at, str(i.id)])
    return {"items": [_out(i) for i in built.items], "next_cursor": built.next_cursor}


@router.get("/upcoming")
async def upcoming(
    request: Request,
    principal: CurrentPrincipal,
    clock: ClockDep,
    page: Pagination,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """Not completed, scheduled at or after as_of, soonest first."""
    moment = as_of or clock.now()
    async with resources(request).pool.acquire() as conn:
        found = await interaction_repository.upcoming(
            conn,
            principal.account.account_id,
            moment,
            keyset_after(page.after, timestamps=True),
            page.limit,
        )
    built = build_page(found, page.limit, lambda i: [i.scheduled_for, str(i.id)])
    return {"items": [_out(i) for i in built.items], "next_cursor": built.next_cursor}


@router.get("/{interaction_id}")
async def get_interaction(
    request: Request, interaction_id: UUID, principal: CurrentPrincipal
) -> dict[str, Any]:
    async with resources(request).pool.acquire() as conn, conn.transaction():
        found = await interaction_repository.get(conn, principal.account.account_id, interaction_id)
    if found is None:
        raise NotFound("No such interaction.")
    return _out(found)


@router.post("", status_code=201, responses=problems(404))  # 404: no such customer
async def log_interaction(
    request: Request,
    body: InteractionIn,
    principal: CurrentPrincipal,
    clock: ClockDep,
    idempotency: IdempotencyDep,
) -> Response:
    action = person_action(request, principal, clock, idempotency.key)
    async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
        if slot.replay is not None:
            return slot.replay.to_response()
        logged = await interaction_service.log_interaction(conn, action, body)
        return slot.respond(201, _out(logged))


@router.put("/{interaction_id}")
async def change_interaction(
    request: Request,
    interaction_id: UUID,
    body: InteractionPatch,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> dict[str, Any]:
    action = person_action(request, principal, clock)
    async with resources(request).pool.acquire() as conn, conn.transaction():
        changed = await interaction_service.change_interaction(conn, action, interaction_id, body)
    return _out(changed)


@router.delete("/{interaction_id}", status_code=204)
async def delete_interaction(
    request: Request, interaction_id: UUID, principal: CurrentPrincipal, clock: ClockDep
) -> Response:
    action = person_action(request, principal, clock)
    async with resources(request).pool.acquire() as conn, conn.transaction():
        await interaction_service.delete_interaction(conn, action, interaction_id)
    return Response(status_code=204)
