"""The automation settings routes: any member reads them, an admin changes them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from crm_customers.automation import service
from crm_customers.automation.policy import ChangeRefused
from crm_customers.automation.schemas import SettingsOut, SettingsPatch
from crm_schemas.catalog import EventName
from crm_schemas.causes import Command
from crm_servicekit.auth import CurrentAdmin, CurrentPrincipal
from crm_servicekit.idempotency import IdempotencyDep, idempotent
from crm_servicekit.openapi_problems import problems
from crm_servicekit.problems import FieldError, Unprocessable
from crm_servicekit.runtime import resources
from crm_servicekit.service_context import ClockDep

router = APIRouter(prefix="/api/settings", tags=["settings"])


@router.get("", response_model=SettingsOut)
async def get_settings(request: Request, principal: CurrentPrincipal) -> SettingsOut:
    account = principal.account
    async with resources(request).pool.acquire() as conn:
        history = await service.history_of(conn, account)
    latest = history.changes[-1] if history.changes else None
    return SettingsOut.of(latest, history.fallback)


# 403: a member (only an admin changes the account's settings)
@router.put("", response_model=SettingsOut, responses=problems(403))
async def change_settings(
    request: Request,
    admin: CurrentAdmin,
    body: SettingsPatch,
    clock: ClockDep,
    idempotency: IdempotencyDep,
) -> Response:
    if not body.names_a_setting():
        # A change of nothing would still be announced, and would move the latest change's
        # time, before which no later change may be dated: refused rather than made.
        raise Unprocessable(
            "The change names no setting.",
            errors=[FieldError(("body",), "name at least one setting to change")],
        )
    command = Command(
        account_id=admin.account.account_id,
        actor_id=admin.user_id,
        at=clock.now(),
        idempotency_key=idempotency.key,
    )
    cause = command.cause(
        f"{request.method} {request.url.path}", EventName.ACCOUNT_SETTINGS_CHANGED
    )
    res = resources(request)
    async with res.pool.acquire() as conn, idempotent(conn, idempotency) as slot:
        if slot.replay is not None:
            return slot.replay.to_response()
        try:
            made = await service.change(
                conn,
                admin.account,
                cause,
                body.changes(),
                body.effective_from,
                res.settings.events_topic,
            )
        except ChangeRefused as refused:
            raise Unprocessable(
                f"The change is refused: {refused}.",
                errors=[FieldError(("body", *loc), message) for loc, message in refused.errors],
                **refused.extra,
            ) from None
        answer = SettingsOut.of(made, made.settings)
        return slot.respond(200, answer.model_dump(mode="json"))
