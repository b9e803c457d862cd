"""Reading raw bodies and shaping the answers the event and hook routes share."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from crm_ingest.policy.normalization import InvalidEvent
from crm_ingest.policy.outcomes import Outcome, Status
from crm_ingest.schemas import EventAnswer
from crm_servicekit.logging import bind_event
from crm_servicekit.openapi_problems import problems
from crm_servicekit.problems import (
    BadRequest,
    Conflict,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
    UnsupportedMediaType,
)

# The bodies are read raw (signatures cover the exact bytes, and the caller is checked before
# anything is parsed), so FastAPI infers neither these answers nor the bodies.
BATCH_PROBLEMS = problems(400, 401, 413, 415, 422, 429, 503)
SINGLE_PROBLEMS = problems(409) | BATCH_PROBLEMS  # 409: the event id was used for another body
SINGLE_ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"model": EventAnswer, "description": "Accepted: published, Kafka acknowledged it."},
    200: {"model": EventAnswer, "description": "A repeat of an accepted event: not published."},
    **SINGLE_PROBLEMS,
}
RETRY_AFTER_S = 5


def json_of(raw: bytes, content_type: str | None, limit: int) -> Any:
    """One event's JSON document, within its size limit."""
    if len(raw) > limit:
        raise PayloadTooLarge(f"One event's body may not exceed {limit} bytes.")
    return parse_json(raw, content_type)


def parse_json(raw: bytes, content_type: str | None) -> Any:
    """The body as JSON; one declared as anything but JSON is refused rather than guessed at.
    No Content-Type at all is read as JSON, as FastAPI reads the other services' bodies."""
    if content_type and not _is_json_media_type(content_type):
        raise UnsupportedMediaType(
            f"The body must be JSON (Content-Type: application/json), not {content_type!r}."
        )
    try:
        return json.loads(raw)
    except ValueError as error:  # UnicodeDecodeError included
        raise BadRequest(f"Malformed JSON body: {error}.") from None
    except RecursionError:
        raise BadRequest("Malformed JSON body: nested too deeply.") from None


def _is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def unprocessable(error: InvalidEvent) -> Unprocessable:
    """The 422 naming every field that made the event invalid."""
    count = len(error.errors)
    return Unprocessable(
        f"The event has {count} invalid field{'s' if count != 1 else ''}.", errors=error.errors
    )


def single_answer(outcome: Outcome) -> JSONResponse:
    """202 accepted, 200 duplicate, or the problem that kept the event out."""
    # The request's log lines (its "request finished" included) name the event and customer.
    bind_event(outcome.event_id, str(outcome.customer_id) if outcome.customer_id else None)
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
            "Kafka could not take the event; it was not accepted.", retry_after_s=RETRY_AFTER_S
        )
    if outcome.reason == "conflict":
        raise Conflict(
            f"event_id {outcome.event_id!r} was already used with another body.",
            event_id=outcome.event_id,
        )
    raise Unprocessable(f"The event names a {outcome.reason}.", errors=outcome.errors)


def item_result(outcome: Outcome) -> dict[str, Any]:
    """One batch item's result (schemas.ItemResult)."""
    result: dict[str, Any] = {"event_id": outcome.event_id, "status": outcome.status.value}
    if outcome.customer_id is not None:
        result["customer_id"] = str(outcome.customer_id)
    if outcome.errors:
        result["errors"] = [error.as_json() for error in outcome.errors]
    return result
