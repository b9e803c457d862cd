"""What the routes of both aggregates take from a request: the person's command, the
service's outlets, the vocabulary, the cursors' keys; and the policy's refusals as problems."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, NamedTuple
from uuid import UUID

from fastapi import Depends, Query, Request
from pydantic import Field

from crm_customers.customers.policy.changes import ByPerson, FieldRefused
from crm_customers.customers.policy.moves import MoveRefused, ReasonRequired
from crm_customers.customers.service.person import Outlets
from crm_schemas.catalog import EventName
from crm_schemas.causes import Command
from crm_schemas.vocabulary import UnknownTermError, Vocabulary, parse_vocabulary
from crm_servicekit.auth import Principal
from crm_servicekit.clock import Clock
from crm_servicekit.instants import StoredInstant
from crm_servicekit.problems import Conflict, FieldError, Unprocessable
from crm_servicekit.runtime import wired


def by_person(
    request: Request, principal: Principal, clock: Clock, idempotency_key: str | None = None
) -> ByPerson:
    """A person's request as the use cases take it; its cause is stable for a repeated
    Idempotency-Key (the cause's kind is the request's method and path)."""
    command = Command(
        account_id=principal.account.account_id,
        actor_id=principal.user_id,
        at=clock.now(),
        idempotency_key=idempotency_key,
    )
    # A person's move is announced by the STATUS_CHANGED it causes (no other event names it).
    cause = command.cause(f"{request.method} {request.url.path}", EventName.STATUS_CHANGED)
    # The accounts file's region; a use case reading a phone takes the one in force instead.
    return ByPerson(cause, command.account_id, principal.account.default_region)


# The claims client and the topic, as main.py wired them.
OutletsDep = Annotated[Outlets, Depends(wired(Outlets))]


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
    except FieldRefused as refused:
        raise Unprocessable(
            f"Invalid {refused.loc[-1]}.", errors=[FieldError(refused.loc, refused.message)]
        ) from None
    except MoveRefused as refused:
        extra: dict[str, Any] = {"missing": refused.missing} if refused.missing else {}
        raise Conflict(refused.detail, **extra) from None


class TimePosition(NamedTuple):
    """A cursor's key in a list ordered by a time: the last item's time and id."""

    at: StoredInstant
    id: UUID


class TextPosition(NamedTuple):
    """A cursor's key in a list ordered by text (a name, a status): its value and id."""

    # Names are at most 255 characters (crm_schemas.contact) and PostgreSQL stores no NUL.
    value: Annotated[str, Field(max_length=255, pattern=r"^[^\x00]*$")]
    id: UUID


# A customers list cursor: the type of its value is its sort's (the kind, bound to the sort,
# says which).
CustomerPosition = tuple[datetime | str, UUID]
