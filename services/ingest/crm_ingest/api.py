"""Ingest's public routes: one event, a batch, and the DM and lead-ads webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from crm_ingest.acceptance import Candidate, Outcome, Status
from crm_ingest.batch import accept_batch
from crm_ingest.event_body import incoming_event_body
from crm_ingest.gate import (
    Caller,
    counted,
    ingest_context,
    token_caller,
    webhook_caller,
    within_rate,
)
from crm_ingest.policy import InvalidEvent, content_hash, normalize_incoming, refuse_nul
from crm_ingest.webhooks import (
    CapiLead,
    DmHook,
    capi_as_incoming,
    dm_as_incoming,
    parse_capi,
    parse_dm,
)
from crm_schemas.envelope import IncomingEvent
from crm_servicekit.openapi_bodies import raw_json_body
from crm_servicekit.openapi_problems import problems
from crm_servicekit.problems import (
    BadRequest,
    Conflict,
    FieldError,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
)
from crm_servicekit.runtime import resources

router = APIRouter(prefix="/api", tags=["ingest"])

# The bodies are read raw (signatures cover the exact bytes, and the caller is checked before
# anything is parsed), so FastAPI infers neither these answers nor the bodies.
BATCH_ANSWERS = problems(400, 401, 413, 422, 429, 503)
ANSWERS = problems(409) | BATCH_ANSWERS  # 409: the event id was used for another body


class BatchBody(BaseModel):
    """What `POST /api/events/batch` takes; its items are checked one by one, not here."""

    # Any JSON per item: an item that is not an event is that item's rejection, not the batch's.
    events: list[Any] = Field(
        min_length=1,
        max_length=500,
        description="Events as POST /api/events takes them; each is judged alone (results).",
    )


class EventAnswer(BaseModel):
    """What a single event's 202 (`accepted`) or 200 (`duplicate`) answers."""

    event_id: str
    customer_id: UUID | None = Field(description="the customer the event was resolved to")
    status: Literal["accepted", "duplicate"]


class ItemResult(BaseModel):
    """One batch item's result, in input order."""

    event_id: Any = Field(description="as the item gave it (null when it gave none)")
    status: Literal["accepted", "duplicate", "rejected", "failed"]
    customer_id: UUID | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="what made a rejected item invalid: loc and msg per field"
    )


class BatchAnswer(BaseModel):
    results: list[ItemResult]


SINGLE_ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"model": EventAnswer, "description": "Accepted: published, Kafka acknowledged it."},
    200: {"model": EventAnswer, "description": "A repeat of an accepted event: not published."},
    **ANSWERS,
}

_RETRY_AFTER_S = 5
T = TypeVar("T")


@router.post(
    "/events", status_code=202, responses=SINGLE_ANSWERS, openapi_extra=incoming_event_body()
)
async def post_event(request: Request) -> JSONResponse:
    """One event (DOMAIN.md's incoming envelope): a token, or a Standard Webhooks signature."""
    raw = await request.body()
    if request.headers.get("authorization"):
        caller = await token_caller(request)
    else:
        caller = await webhook_caller(request, raw)
    await within_rate(request, caller, "events")
    document = _json_of(request, raw)
    _or_422(lambda: refuse_nul(document, ("body",)))
    event = _normalized(request, caller, document)
    return await _answer(request, caller, Candidate(event, content_hash(event)))


@router.post(
    "/hooks/dm", status_code=202, responses=SINGLE_ANSWERS, openapi_extra=raw_json_body(DmHook)
)
async def post_dm(request: Request) -> JSONResponse:
    """A DM provider's webhook: DM_STARTED for the first DM on a platform, else MESSAGE_RECEIVED."""
    raw = await request.body()
    caller = await webhook_caller(request, raw)
    await within_rate(request, caller, "hooks_dm")
    hook = _or_422(lambda: parse_dm(_json_of(request, raw)))
    event = _normalized(request, caller, _or_422(lambda: dm_as_incoming(hook)))
    return await _answer(request, caller, Candidate(event, content_hash(event), is_dm=True))


@router.post(
    "/hooks/capi/lead",
    status_code=202,
    responses=SINGLE_ANSWERS,
    openapi_extra=raw_json_body(CapiLead),
)
async def post_capi_lead(request: Request) -> JSONResponse:
    """A lead in the Meta Conversions API style, published as LEAD_QUALIFIED from ads."""
    raw = await request.body()
    caller = await webhook_caller(request, raw)
    await within_rate(request, caller, "hooks_capi_lead")
    lead = _or_422(lambda: parse_capi(_json_of(request, raw)))
    incoming = _or_422(lambda: capi_as_incoming(lead))
    event = _normalized(request, caller, incoming)
    return await _answer(request, caller, Candidate(event, content_hash(event)))


@router.post(
    "/events/batch",
    status_code=200,
    responses={200: {"model": BatchAnswer}, **BATCH_ANSWERS},
    openapi_extra=raw_json_body(BatchBody),
)
async def post_batch(request: Request) -> JSONResponse:
    """1 to 500 events, each judged alone; results in input order."""
    raw = await request.body()
    caller = await token_caller(request)
    await within_rate(request, caller, "events_batch")
    document = parse_json(raw)
    items = document.get("events") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise Unprocessable(
            "The batch needs an events list.",
            errors=[FieldError(["body", "events"], "must be a list of 1 to 500 events")],
        )
    results, any_taken = await accept_batch(request, caller, items)
    if not any_taken:
        raise ServiceUnavailable("Kafka could not take the events.", retry_after_s=_RETRY_AFTER_S)
    return JSONResponse({"results": results})


async def _answer(request: Request, caller: Caller, candidate: Candidate) -> JSONResponse:
    outcome = await ingest_context(request).singles.accept(
        caller.account.account_id,
        candidate,
        actor_id=caller.actor_id,
        now=resources(request).clock.now(),
    )
    return single_answer(outcome)


def single_answer(outcome: Outcome) -> JSONResponse:
    body = {
        "event_id": outcome.event_id,
        "customer_id": str(outcome.customer_id) if outcome.customer_id else None,
        "status": outcome.status.value,
    }
    if outcome.status is Status.ACCEPTED:
        return JSONResponse(body, status_code=202)
    if outcome.status is Status.DUPLICATE:
        return JSONResponse(body, status_code=200)
    if outcome.status is Status.FAILED:
        raise ServiceUnavailable(
            "Kafka could not take the event; it was not accepted.", retry_after_s=_RETRY_AFTER_S
        )
    if outcome.reason == "conflict":
        raise Conflict(
            f"event_id {outcome.event_id!r} was already used with another body.",
            event_id=outcome.event_id,
        )
    raise Unprocessable(f"The event names a {outcome.reason}.", errors=outcome.errors)


def _normalized(request: Request, caller: Caller, document: Any) -> IncomingEvent:
    settings = ingest_context(request).settings
    normalized = _or_422(
        lambda: normalize_incoming(
            document,
            account_id=caller.account.account_id,
            default_region=caller.account.default_region,
            now=resources(request).clock.now(),
            future_tolerance=timedelta(seconds=settings.future_tolerance_s),
            default_source=caller.default_source,
        )
    )
    return counted(normalized).event


def _json_of(request: Request, raw: bytes) -> Any:
    limit = ingest_context(request).settings.max_event_bytes
    if len(raw) > limit:
        raise PayloadTooLarge(f"One event's body may not exceed {limit} bytes.")
    return parse_json(raw)


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError as error:  # UnicodeDecodeError included
        raise BadRequest(f"Malformed JSON body: {error}.") from None
    except RecursionError:
        raise BadRequest("Malformed JSON body: nested too deeply.") from None


def _or_422(build: Callable[[], T]) -> T:
    try:
        return build()
    except InvalidEvent as error:
        count = len(error.errors)
        raise Unprocessable(
            f"The event has {count} invalid field{'s' if count != 1 else ''}.",
            errors=error.errors,
        ) from None
