"""Ingest's event routes: one event, and a batch of events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from crm_ingest.api.answers import (
    BATCH_PROBLEMS,
    RETRY_AFTER_S,
    SINGLE_ANSWERS,
    item_result,
    json_of,
    parse_json,
    single_answer,
    unprocessable,
)
from crm_ingest.api.wiring import WiringDep
from crm_ingest.policy.normalization import InvalidEvent
from crm_ingest.schemas import BatchAnswer, BatchBody, EventAnswer, incoming_event_body
from crm_servicekit.openapi_bodies import raw_json_body
from crm_servicekit.openapi_security import STANDARD_WEBHOOKS, USER_TOKEN, any_of
from crm_servicekit.problems import FieldError, PayloadTooLarge, ServiceUnavailable, Unprocessable

router = APIRouter(prefix="/api", tags=["ingest"])


@router.post(
    "/events",
    status_code=202,
    response_model=EventAnswer,
    responses=SINGLE_ANSWERS,
    openapi_extra=incoming_event_body() | any_of([USER_TOKEN], STANDARD_WEBHOOKS),
)
async def post_event(request: Request, wiring: WiringDep) -> JSONResponse:
    """One event (docs/domain.md's incoming envelope): a token, or a Standard Webhooks signature."""
    raw = await request.body()
    gate = wiring.gate
    if request.headers.get("authorization"):
        caller = await gate.token_caller(request)
    else:
        caller = await gate.webhook_caller(request, raw)
    await gate.within_rate(caller, "events")
    document = json_of(raw, request.headers.get("content-type"), wiring.settings.max_event_bytes)
    try:
        outcome = await wiring.ingestion.accept_event(caller, document)
    except InvalidEvent as invalid:
        raise unprocessable(invalid) from None
    return single_answer(outcome)


@router.post(
    "/events/batch",
    status_code=200,
    response_model=BatchAnswer,
    responses={200: {"model": BatchAnswer}, **BATCH_PROBLEMS},
    openapi_extra=raw_json_body(BatchBody) | any_of([USER_TOKEN]),
)
async def post_batch(request: Request, wiring: WiringDep) -> JSONResponse:
    """1 to 500 events, each judged alone; results in input order."""
    raw = await request.body()
    caller = await wiring.gate.token_caller(request)
    await wiring.gate.within_rate(caller, "events_batch")
    document = parse_json(raw, request.headers.get("content-type"))
    items = document.get("events") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise Unprocessable(
            "The batch needs an events list.",
            errors=[FieldError(["body", "events"], "must be a list of 1 to 500 events")],
        )
    if not items:
        raise Unprocessable(
            "The batch is empty.", errors=[FieldError(["body", "events"], "needs at least 1 event")]
        )
    most = wiring.settings.max_batch_items
    if len(items) > most:
        raise PayloadTooLarge(f"A batch holds at most {most} events.")
    judged = await wiring.ingestion.accept_batch(caller, items)
    if not judged.taken:
        raise ServiceUnavailable("Kafka could not take the events.", retry_after_s=RETRY_AFTER_S)
    return JSONResponse({"results": [item_result(outcome) for outcome in judged.outcomes]})
