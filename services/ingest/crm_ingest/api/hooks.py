"""The providers' webhooks: DMs, and leads in the Meta Conversions API style.

Each answered delivery is one row of the deliveries log (GET /api/hooks/deliveries), written
once the answer is decided, so the log never changes what the provider is answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crm_ingest.api.answers import SINGLE_ANSWERS, json_of, single_answer, unprocessable
from crm_ingest.api.wiring import Wiring, WiringDep
from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.deliveries import invalid_row, row_of_outcome
from crm_ingest.policy.hooks import parse_capi, parse_dm
from crm_ingest.policy.normalization import InvalidEvent
from crm_ingest.policy.outcomes import Caller, Outcome
from crm_ingest.schemas import CapiLead, DmHook, EventAnswer
from crm_servicekit.openapi_bodies import raw_json_body
from crm_servicekit.openapi_security import STANDARD_WEBHOOKS, any_of
from crm_servicekit.problems import FieldError, ProblemError

router = APIRouter(prefix="/api/hooks", tags=["ingest"])


@router.post(
    "/dm",
    status_code=202,
    response_model=EventAnswer,
    responses=SINGLE_ANSWERS,
    openapi_extra=raw_json_body(DmHook) | any_of(STANDARD_WEBHOOKS),
)
async def post_dm(request: Request, wiring: WiringDep) -> JSONResponse:
    """A DM provider's webhook: DM_STARTED for the first DM on a platform, else MESSAGE_RECEIVED."""
    raw = await request.body()
    caller = await wiring.gate.webhook_caller(request, raw)
    await wiring.gate.within_rate(caller, "hooks_dm")
    outcome = await _logged(
        wiring,
        caller,
        Connector.DM,
        lambda: json_of(raw, request.headers.get("content-type"), wiring.settings.max_event_bytes),
        lambda document: wiring.ingestion.accept_dm(caller, parse_dm(document)),
    )
    return single_answer(outcome)


@router.post(
    "/capi/lead",
    status_code=202,
    response_model=EventAnswer,
    responses=SINGLE_ANSWERS,
    openapi_extra=raw_json_body(CapiLead) | any_of(STANDARD_WEBHOOKS),
)
async def post_capi_lead(request: Request, wiring: WiringDep) -> JSONResponse:
    """A lead in the Meta Conversions API style, published as LEAD_QUALIFIED from ads."""
    raw = await request.body()
    caller = await wiring.gate.webhook_caller(request, raw)
    await wiring.gate.within_rate(caller, "hooks_capi_lead")
    outcome = await _logged(
        wiring,
        caller,
        Connector.CAPI_LEAD,
        lambda: json_of(raw, request.headers.get("content-type"), wiring.settings.max_event_bytes),
        lambda document: wiring.ingestion.accept_lead(caller, parse_capi(document)),
    )
    return single_answer(outcome)


async def _logged(
    wiring: Wiring,
    caller: Caller,
    connector: Connector,
    read: Callable[[], Any],
    accept: Callable[[Any], Awaitable[Outcome]],
) -> Outcome:
    """What accepting the signed body came to, recorded in the deliveries log: an unreadable
    body or an invalid event as rejected (then its 4xx), else the outcome as it is."""
    account_id = caller.account.account_id
    received_at = wiring.gate.clock.now()
    try:
        document = read()
    except ProblemError as unreadable:  # 400, 413 or 415: the body is no JSON document
        errors = [FieldError(("body",), str(unreadable.detail))]
        row = invalid_row(account_id, received_at, connector, None, errors)
        await wiring.deliveries.record([row])
        raise
    try:
        outcome = await accept(document)
    except InvalidEvent as invalid:
        row = invalid_row(account_id, received_at, connector, document, invalid.errors)
        await wiring.deliveries.record([row])
        raise unprocessable(invalid) from None
    await wiring.deliveries.record([row_of_outcome(account_id, received_at, connector, outcome)])
    return outcome
