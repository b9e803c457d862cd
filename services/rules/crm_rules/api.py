"""The reminders API: routes parse, call one use case, shape the answer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from crm_rules.policy.reminder import MAX_AHEAD, ReminderStatus
from crm_rules.schemas import DueReminderOut, NewReminder, ReminderOut, Snooze
from crm_rules.service import actions, reads
from crm_schemas.causes import Command
from crm_schemas.system_properties import ReminderType
from crm_servicekit.auth import CurrentPrincipal
from crm_servicekit.idempotency import IdempotencyDep, idempotent
from crm_servicekit.instants import AsOf, IsoDuration
from crm_servicekit.pagination import CursorKind, Page, Pagination
from crm_servicekit.problems import FieldError, Unprocessable
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep

# Each list's cursors are its own: one of another list (even of the same order) is 422.
DUE_CURSOR = CursorKind("/api/reminders/due", reads.Position)
UPCOMING_CURSOR = CursorKind("/api/reminders/upcoming", reads.Position)
LIST_CURSOR = CursorKind("/api/reminders", reads.Position)


def reminders_router(topic: str) -> APIRouter:
    router = APIRouter(prefix="/api/reminders", tags=["reminders"])

    @router.get("/due", response_model=Page[DueReminderOut])
    async def due(
        request: Request,
        principal: CurrentPrincipal,
        clock: ClockDep,
        page: Pagination,
        as_of: AsOf = None,
        customer_id: uuid.UUID | None = None,
    ) -> Page[DueReminderOut]:
        at = as_of or clock.now()
        async with resources(request).pool.acquire() as conn:
            found = await reads.due(
                conn,
                principal.account,
                as_of=at,
                customer_id=customer_id,
                page=page.keyset(DUE_CURSOR),
            )
        return Page[DueReminderOut](
            items=[DueReminderOut.of_due(item) for item in found.items],
            next_cursor=found.next_cursor,
        )

    @router.get("/upcoming", response_model=Page[ReminderOut])
    async def upcoming(
        request: Request,
        principal: CurrentPrincipal,
        clock: ClockDep,
        page: Pagination,
        as_of: AsOf = None,
        within: Annotated[
            IsoDuration, Query(description="ISO 8601 duration, e.g. P7D; at most ten years")
        ] = timedelta(days=7),
    ) -> Page[ReminderOut]:
        at = as_of or clock.now()
        keyset = page.keyset(UPCOMING_CURSOR)
        async with resources(request).pool.acquire() as conn:
            found = await reads.upcoming(
                conn,
                principal.account.account_id,
                as_of=at,
                within=within,
                page=keyset,
            )
        return _page(found)

    @router.get("", response_model=Page[ReminderOut])
    async def list_reminders(
        request: Request,
        principal: CurrentPrincipal,
        page: Pagination,
        customer_id: uuid.UUID | None = None,
        status: ReminderStatus | None = None,
        type: ReminderType | None = None,
    ) -> Page[ReminderOut]:
        keyset = page.keyset(LIST_CURSOR)
        async with resources(request).pool.acquire() as conn:
            found = await reads.listed(
                conn,
                principal.account.account_id,
                customer_id=customer_id,
                status=status,
                type_=type,
                page=keyset,
            )
        return _page(found)

    @router.get("/{reminder_id}", response_model=ReminderOut)
    async def get_one(
        request: Request, principal: CurrentPrincipal, reminder_id: uuid.UUID
    ) -> ReminderOut:
        async with resources(request).pool.acquire() as conn:
            found = await reads.one(conn, principal.account.account_id, reminder_id)
        return ReminderOut.of(found)

    @router.post("", status_code=201, response_model=ReminderOut)
    async def create(
        request: Request,
        principal: CurrentPrincipal,
        idempotency: IdempotencyDep,
        body: NewReminder,
    ) -> Response:
        now = idempotency.received_at
        if body.type is not ReminderType.CUSTOM:
            raise _invalid("body", "type", "only 'custom': the other types are the rules' own")
        if body.scheduled_for < now:
            raise _invalid("body", "scheduled_for", "is in the past")
        if body.scheduled_for > now + MAX_AHEAD:
            raise _invalid("body", "scheduled_for", "is more than a year ahead")
        command = _command(principal, now, idempotency.key)
        async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
            if slot.replay is not None:
                return slot.replay.to_response()
            made = await actions.create_manual(
                conn, command, body.customer_id, body.scheduled_for, body.message, topic=topic
            )
            return slot.respond(201, ReminderOut.of(made))

    @router.post("/{reminder_id}/complete", response_model=ReminderOut)
    async def complete(
        request: Request,
        principal: CurrentPrincipal,
        idempotency: IdempotencyDep,
        reminder_id: uuid.UUID,
    ) -> Response:
        command = _command(principal, idempotency.received_at, idempotency.key)
        async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
            if slot.replay is not None:
                return slot.replay.to_response()
            done = await actions.complete(conn, command, reminder_id, topic=topic)
            return slot.respond(200, ReminderOut.of(done))

    @router.post("/{reminder_id}/snooze", response_model=ReminderOut)
    async def snooze(
        request: Request,
        principal: CurrentPrincipal,
        idempotency: IdempotencyDep,
        reminder_id: uuid.UUID,
        body: Snooze,
    ) -> Response:
        if body.until <= idempotency.received_at:
            raise _invalid("body", "until", "is not in the future")
        command = _command(principal, idempotency.received_at, idempotency.key)
        async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
            if slot.replay is not None:
                return slot.replay.to_response()
            moved = await actions.snooze(conn, command, reminder_id, body.until, topic=topic)
            return slot.respond(200, ReminderOut.of(moved))

    # No body: the answer is 204 alone.
    @router.delete("/{reminder_id}", status_code=204, response_model=None, response_class=Response)
    async def delete(
        request: Request, principal: CurrentPrincipal, clock: ClockDep, reminder_id: uuid.UUID
    ) -> Response:
        command = _command(principal, clock.now(), None)
        async with resources(request).pool.acquire() as conn, conn.transaction():
            await actions.cancel(conn, command, reminder_id, topic=topic)
        return Response(status_code=204)

    return router


def _command(principal: CurrentPrincipal, at: datetime, key: str | None) -> Command:
    return Command(principal.account.account_id, principal.user_id, at, key)


def _invalid(where: str, field: str, message: str) -> Unprocessable:
    return Unprocessable(f"{field} {message}.", errors=[FieldError((where, field), message)])


def _page(found: reads.ReminderPage[reads.ReminderView]) -> Page[ReminderOut]:
    return Page[ReminderOut](
        items=[ReminderOut.of(item) for item in found.items], next_cursor=found.next_cursor
    )
