"""The batch endpoint's judging: each item stands alone, results come back in input order."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import Request

from crm_ingest.acceptance import Candidate, Outcome, Status, repeat_outcome
from crm_ingest.gate import Caller, counted, ingest_context
from crm_ingest.policy import InvalidEvent, content_hash, normalize_incoming, refuse_nul
from crm_servicekit.problems import FieldError, PayloadTooLarge, Unprocessable
from crm_servicekit.runtime import resources


async def accept_batch(
    request: Request, caller: Caller, items: list[Any]
) -> tuple[list[dict[str, Any]], bool]:
    """Per-item results, and whether any item could be taken (else the answer is 503)."""
    settings = ingest_context(request).settings
    if not items:
        raise Unprocessable(
            "The batch is empty.", errors=[FieldError(["body", "events"], "needs at least 1 event")]
        )
    if len(items) > settings.max_batch_items:
        raise PayloadTooLarge(f"A batch holds at most {settings.max_batch_items} events.")
    now = resources(request).clock.now()
    judged: list[Outcome | Candidate] = []
    firsts: dict[str, Candidate] = {}
    for index, item in enumerate(items):
        loc: tuple[str | int, ...] = ("body", "events", index)
        event_id = _event_id_of(item)
        if len(json.dumps(item).encode()) > settings.max_event_bytes:
            error = FieldError(list(loc), f"exceeds {settings.max_event_bytes} bytes")
            judged.append(Outcome(event_id, Status.REJECTED, errors=[error]))
            continue
        try:
            refuse_nul(item, loc)
            normalized = normalize_incoming(
                item,
                account_id=caller.account.account_id,
                default_region=caller.account.default_region,
                now=now,
                future_tolerance=timedelta(seconds=settings.future_tolerance_s),
                default_source=caller.default_source,
                loc=loc,
            )
        except InvalidEvent as invalid:
            judged.append(Outcome(event_id, Status.REJECTED, errors=invalid.errors))
            continue
        event = counted(normalized).event
        candidate = Candidate(event, content_hash(event))
        judged.append(candidate)
        firsts.setdefault(candidate.event_id, candidate)
    outcomes = await ingest_context(request).acceptor.accept(
        caller.account.account_id, list(firsts.values()), actor_id=caller.actor_id, now=now
    )
    results = []
    for index, entry in enumerate(judged):
        if isinstance(entry, Outcome):
            results.append(_result(entry))
            continue
        outcome = outcomes[entry.event_id]
        if firsts[entry.event_id] is not entry:  # a repeat inside this batch
            conflict = FieldError(
                ["body", "events", index, "event_id"],
                "was already used in this batch for an event with another body",
            )
            outcome = repeat_outcome(entry, firsts[entry.event_id], outcome, conflict)
        results.append(_result(outcome))
    # 503 only when there was something to take and Kafka took none of it.
    taken = not outcomes or any(o.status is not Status.FAILED for o in outcomes.values())
    return results, taken


def _result(outcome: Outcome) -> dict[str, Any]:
    result: dict[str, Any] = {"event_id": outcome.event_id, "status": outcome.status.value}
    if outcome.customer_id is not None:
        result["customer_id"] = str(outcome.customer_id)
    if outcome.errors:
        result["errors"] = [error.as_json() for error in outcome.errors]
    return result


def _event_id_of(item: Any) -> Any:
    return item.get("event_id") if isinstance(item, dict) else None
