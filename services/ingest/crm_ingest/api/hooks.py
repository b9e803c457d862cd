"""The providers' webhooks: DMs, and leads in the Meta Conversions API style."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crm_ingest.api.answers import SINGLE_ANSWERS, json_of, single_answer, unprocessable
from crm_ingest.api.wiring import WiringDep
from crm_ingest.policy.hooks import parse_capi, parse_dm
from crm_ingest.policy.normalization import InvalidEvent
from crm_ingest.schemas import CapiLead, DmHook, EventAnswer
from crm_servicekit.openapi_bodies import raw_json_body

router = APIRouter(prefix="/api/hooks", tags=["ingest"])


@router.post(
    "/dm",
    status_code=202,
    response_model=EventAnswer,
    responses=SINGLE_ANSWERS,
    openapi_extra=raw_json_body(DmHook),
)
async def post_dm(request: Request, wiring: WiringDep) -> JSONResponse:
    """A DM provider's webhook: DM_STARTED for the first DM on a platform, else MESSAGE_RECEIVED."""
    raw = await request.body()
    caller = await wiring.gate.webhook_caller(request, raw)
    await wiring.gate.within_rate(caller, "hooks_dm")
    document = json_of(raw, request.headers.get("content-type"), wiring.settings.max_event_bytes)
    try:
        outcome = await wiring.ingestion.accept_dm(caller, parse_dm(document))
    except InvalidEvent as invalid:
        raise unprocessable(invalid) from None
    return single_answer(outcome)


@router.post(
    "/capi/lead",
    status_code=202,
    response_model=EventAnswer,
    responses=SINGLE_ANSWERS,
    openapi_extra=raw_json_body(CapiLead),
)
async def post_capi_lead(request: Request, wiring: WiringDep) -> JSONResponse:
    """A lead in the Meta Conversions API style, published as LEAD_QUALIFIED from ads."""
    raw = await request.body()
    caller = await wiring.gate.webhook_caller(request, raw)
    await wiring.gate.within_rate(caller, "hooks_capi_lead")
    document = json_of(raw, request.headers.get("content-type"), wiring.settings.max_event_bytes)
    try:
        outcome = await wiring.ingestion.accept_lead(caller, parse_capi(document))
    except InvalidEvent as invalid:
        raise unprocessable(invalid) from None
    return single_answer(outcome)
