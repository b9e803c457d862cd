"""What the routes share: the person's action, the vocabulary, refusals as problems."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Query, Request

from crm_customers.announce import Cause
from crm_customers.api_models import BookingOut, CustomerOut
from crm_customers.claims import IdentityClaims
from crm_customers.customer_service import Action
from crm_customers.policy import MoveRefused, ReasonRequired
from crm_customers.records import Customer
from crm_customers.settings import CustomersSettings
from crm_schemas.catalog import EventName
from crm_schemas.ids import api_action_id
from crm_schemas.vocabulary import UnknownTermError, Vocabulary, parse_vocabulary, reverse
from crm_servicekit.auth import Principal
from crm_servicekit.clock import Clock
from crm_servicekit.problems import Conflict, FieldError, Unprocessable
from crm_servicekit.runtime import resources


def person_action(
    request: Request, principal: Principal, clock: Clock, idempotency_key: str | None = None
) -> Action:
    """The cause of a person's request: stable for a repeated Idempotency-Key."""
    res = resources(request)
    settings = res.settings
    assert isinstance(settings, CustomersSettings)
    account_id = principal.account.account_id
    kind = f"{request.method} {request.url.path}"
    now = clock.now()
    cause = Cause(
        event_id=str(api_action_id(account_id, idempotency_key, kind)),
        # A person's move is announced by the STATUS_CHANGED it causes (no other event names it).
        event_name=EventName.STATUS_CHANGED.value,
        timestamp=now,
        received_at=now,
        actor_id=principal.user_id,
    )
    claims: IdentityClaims = request.app.state.identity_claims
    return Action(principal.account, cause, settings.events_topic, claims)


async def _vocabulary(  # async: FastAPI runs a plain def dependency in a worker thread
    pipeline: Annotated[
        str | None,
        Query(max_length=32, description="frazer, recruiting or sales; status terms are its"),
    ] = None,
) -> Vocabulary | None:
    return vocabulary_named(pipeline, ("query", "pipeline"))


def vocabulary_named(name: str | None, loc: tuple[str, ...]) -> Vocabulary | None:
    if name is None:
        return None
    try:
        return parse_vocabulary(name)
    except UnknownTermError as unknown:
        raise Unprocessable(
            str(unknown),
            errors=[FieldError(loc, f"must be one of {', '.join(unknown.accepted)}")],
            accepted=list(unknown.accepted),
        ) from None


VocabularyQuery = Annotated[Vocabulary | None, Depends(_vocabulary)]


@contextmanager
def refusals_as_problems(status_loc: tuple[str, ...] = ("body", "status")) -> Iterator[None]:
    """The pipeline's refusals as API answers: 409 for moves, 422 naming the field."""
    try:
        yield
    except UnknownTermError as unknown:
        raise Unprocessable(
            str(unknown),
            errors=[FieldError(status_loc, f"accepted: {', '.join(unknown.accepted)}")],
            accepted=list(unknown.accepted),
        ) from None
    except ReasonRequired as missing:
        raise Unprocessable(
            str(missing), errors=[FieldError(("body", "reason"), "required to move one step back")]
        ) from None
    except MoveRefused as refused:
        extra: dict[str, Any] = {"missing": refused.missing} if refused.missing else {}
        raise Conflict(refused.detail, **extra) from None


def keyset_after(after: Any, *, timestamps: bool) -> tuple[str, str] | None:
    """The (sort value, id) a cursor carries, checked, so a forged one is 422 and never 500."""
    if after is None:
        return None
    bad = Unprocessable("Bad cursor.", errors=[FieldError(("query", "cursor"), "malformed cursor")])
    if not (isinstance(after, list) and len(after) == 2 and all(isinstance(p, str) for p in after)):
        raise bad
    value, after_id = after
    try:
        UUID(after_id)
        if timestamps:
            datetime.fromisoformat(value)
    except ValueError:
        raise bad from None
    if "\x00" in value:
        raise bad
    return value, after_id


def customer_out(customer: Customer, vocabulary: Vocabulary | None) -> CustomerOut:
    state = customer.state
    return CustomerOut(
        id=customer.id,
        name=customer.name,
        email=customer.email,
        phone=customer.phone,
        handles=customer.handles.present(),
        source=customer.source,
        country=customer.country,
        language=customer.language,
        notes=customer.notes,
        prospect_why=customer.prospect_why,
        next_action=customer.next_action,
        next_action_date=customer.next_action_date,
        consent=customer.consent.model_dump(exclude_none=True) if customer.consent else None,
        utm=customer.utm.model_dump(exclude_none=True) if customer.utm else None,
        status=state.status.value,
        status_label=state.status.label,
        booking=BookingOut(
            state=state.booking.state.value,
            time=state.booking.time,
            booking_id=state.booking.booking_id,
        ),
        joined_team=state.joined_team,
        opted_out=state.opted_out,
        last_activity_at=customer.history.last_activity_at,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        pipeline_status=reverse(state, vocabulary) if vocabulary is not None else None,
    )
