"""The reminders API (API.md, rules): routes parse, call one use case, shape the answer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from crm_rules import actions
from crm_rules import repository as repo
from crm_rules.reminder import Reminder, ReminderStatus
from crm_rules.schemas import DueReminderOut, NewReminder, ReminderOut, Snooze, is_overdue
from crm_schemas.system_properties import ReminderType
from crm_servicekit.auth import CurrentPrincipal
from crm_servicekit.connection import Conn
from crm_servicekit.idempotency import IdempotencyDep, idempotent
from crm_servicekit.instants import AsOf
from crm_servicekit.pagination import Page, PageRequest, Pagination, build_page
from crm_servicekit.problems import FieldError, NotFound, Unprocessable
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep


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
        where = ["status = 'open'", "scheduled_for <= $2"]
        args: list[Any] = [at]
        if customer_id is not None:
            where.append("customer_id = $3")
            args.append(customer_id)
        async with resources(request).pool.acquire() as conn:
            found = await _page_of(conn, principal.account.account_id, page, where, args)
            items = await _shaped(conn, principal.account.account_id, found.items)
        grace = principal.account.overdue_grace
        return Page[DueReminderOut](
            items=[
                DueReminderOut(**item.model_dump(), overdue=is_overdue(r, at, grace))
                for item, r in zip(items, found.items, strict=True)
            ],
            next_cursor=found.next_cursor,
        )

    @router.get("/upcoming", response_model=Page[ReminderOut])
    async def upcoming(
        request: Request,
        principal: CurrentPrincipal,
        clock: ClockDep,
        page: Pagination,
        as_of: AsOf = None,
        within: Annotated[timedelta, Query(description="ISO 8601 duration")] = timedelta(days=7),
    ) -> Page[ReminderOut]:
        at = as_of or clock.now()
        if within <= timedelta(0):
            raise _invalid("query", "within", "must be a positive ISO 8601 duration such as P7D")
        where = ["status = 'open'", "scheduled_for > $2", "scheduled_for <= $3"]
        return await _listed(request, principal, page, where, [at, at + within])

    @router.get("", response_model=Page[ReminderOut])
    async def list_reminders(
        request: Request,
        principal: CurrentPrincipal,
        page: Pagination,
        customer_id: uuid.UUID | None = None,
        status: ReminderStatus | None = None,
        type: ReminderType | None = None,
    ) -> Page[ReminderOut]:
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("customer_id", customer_id), ("status", status), ("type", type)):
            if value is not None:
                args.append(
                    value.value if isinstance(value, ReminderStatus | ReminderType) else value
                )
                where.append(f"{column} = ${len(args) + 1}")
        return await _listed(request, principal, page, where, args)

    @router.get("/{reminder_id}", response_model=ReminderOut)
    async def get_one(
        request: Request, principal: CurrentPrincipal, reminder_id: uuid.UUID
    ) -> ReminderOut:
        account_id = principal.account.account_id
        async with resources(request).pool.acquire() as conn:
            found = await repo.get_reminder(conn, account_id, reminder_id)
            if found is None:
                raise NotFound(f"No reminder {reminder_id}.")
            return (await _shaped(conn, account_id, [found]))[0]

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
        if body.scheduled_for > now + actions.MAX_AHEAD:
            raise _invalid("body", "scheduled_for", "is more than a year ahead")
        req = _request(principal, now, idempotency.key, topic)
        async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
            if slot.replay is not None:
                return slot.replay.to_response()
            made = await actions.create_manual(
                conn, req, body.customer_id, body.scheduled_for, body.message
            )
            return slot.respond(201, await _one(conn, made))

    @router.post("/{reminder_id}/complete", response_model=ReminderOut)
    async def complete(
        request: Request,
        principal: CurrentPrincipal,
        idempotency: IdempotencyDep,
        reminder_id: uuid.UUID,
    ) -> Response:
        req = _request(principal, idempotency.received_at, idempotency.key, topic)
        async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
            if slot.replay is not None:
                return slot.replay.to_response()
            done = await actions.complete(conn, req, reminder_id)
            return slot.respond(200, await _one(conn, done))

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
        req = _request(principal, idempotency.received_at, idempotency.key, topic)
        async with resources(request).pool.acquire() as conn, idempotent(conn, idempotency) as slot:
            if slot.replay is not None:
                return slot.replay.to_response()
            moved = await actions.snooze(conn, req, reminder_id, body.until)
            return slot.respond(200, await _one(conn, moved))

    @router.delete("/{reminder_id}", status_code=204)
    async def delete(
        request: Request, principal: CurrentPrincipal, clock: ClockDep, reminder_id: uuid.UUID
    ) -> Response:
        req = _request(principal, clock.now(), None, topic)
        async with resources(request).pool.acquire() as conn, conn.transaction():
            await actions.cancel(conn, req, reminder_id)
        return Response(status_code=204)

    return router


def _request(
    principal: CurrentPrincipal, at: datetime, key: str | None, topic: str
) -> actions.Request:
    return actions.Request(principal.account.account_id, principal.user_id, at, key, topic)


def _invalid(where: str, field: str, message: str) -> Unprocessable:
    return Unprocessable(f"{field} {message}.", errors=[FieldError((where, field), message)])


async def _listed(
    request: Request,
    principal: CurrentPrincipal,
    page: PageRequest,
    where: list[str],
    args: list[Any],
) -> Page[ReminderOut]:
    account_id = principal.account.account_id
    async with resources(request).pool.acquire() as conn:
        found = await _page_of(conn, account_id, page, where, args)
        items = await _shaped(conn, account_id, found.items)
    return Page[ReminderOut](items=items, next_cursor=found.next_cursor)


async def _page_of(
    conn: Conn, account_id: str, page: PageRequest, where: list[str], args: list[Any]
) -> Page[Reminder]:
    """Oldest first by (scheduled_for, id); the cursor is the last item's pair."""
    where, args = list(where), list(args)
    if page.after is not None:
        after_time, after_id = _cursor_key(page.after)
        args += [after_time, after_id]
        where.append(f"(scheduled_for, id) > (${len(args)}, ${len(args) + 1})")
    rows = await repo.list_reminders(conn, account_id, where=where, args=args, limit=page.limit + 1)
    return build_page(rows, page.limit, lambda r: [r.scheduled_for.isoformat(), str(r.id)])


def _cursor_key(after: Any) -> tuple[datetime, uuid.UUID]:
    try:
        moment, rid = after
        return datetime.fromisoformat(moment), uuid.UUID(rid)
    except (TypeError, ValueError):
        raise _invalid("query", "cursor", "malformed cursor") from None


async def _shaped(conn: Conn, account_id: str, found: list[Reminder]) -> list[ReminderOut]:
    inbound = await repo.inbound_messages(conn, account_id, [r.customer_id for r in found])
    return [ReminderOut.of(r, inbound.get(r.customer_id, [])) for r in found]


async def _one(conn: Conn, reminder: Reminder) -> ReminderOut:
    return (await _shaped(conn, reminder.account_id, [reminder]))[0]
