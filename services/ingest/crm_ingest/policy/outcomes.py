"""What accepting an event can come to, and who is asking (pure values and rules)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from crm_schemas.contact import Source
from crm_schemas.envelope import IncomingEvent
from crm_servicekit.accounts import Account
from crm_servicekit.problems import FieldError

ANOTHER_BODY = "was already used for an event with another body"


@dataclass(frozen=True)
class Caller:
    account: Account
    # The marketer (the token's sub) for token requests; None for a provider's webhook.
    actor_id: str | None

    @property
    def default_source(self) -> Source:
        # A person's buttons are manual entries; a provider that names no source is the web.
        return Source.MANUAL if self.actor_id is not None else Source.WEB


class Status(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True)
class Candidate:
    """A normalized event ready to be accepted; `is_dm` defers DM_STARTED vs MESSAGE_RECEIVED."""

    event: IncomingEvent
    content_hash: str
    is_dm: bool = False
    # The kinds of identities normalization left off the event (a phone no valid number).
    dropped: tuple[str, ...] = ()
    # A booking link's customer reference (policy/resolution.py).
    reference: UUID | None = None
    # The booking-tool booking the event follows, and the one it makes (policy/resolution.py).
    follows: str | None = None
    books: str | None = None

    @property
    def event_id(self) -> str:
        return self.event.event_id


@dataclass
class Outcome:
    event_id: str
    status: Status
    customer_id: UUID | None = None
    errors: list[FieldError] = field(default_factory=list)
    # Why it was rejected, for the single-event answers: "conflict" (409) or "invalid" (422).
    reason: str | None = None


def repeat_outcome(
    repeat: Candidate, first: Candidate, first_outcome: Outcome, conflict: FieldError
) -> Outcome:
    """The answer to a repeat of an event id accepted together with its first occurrence;
    `conflict` is the error to give when the repeat's body differs."""
    if repeat.content_hash != first.content_hash:
        return Outcome(repeat.event_id, Status.REJECTED, errors=[conflict], reason="conflict")
    if first_outcome.status in (Status.ACCEPTED, Status.DUPLICATE):
        return Outcome(repeat.event_id, Status.DUPLICATE, first_outcome.customer_id)
    return first_outcome


def conflict_outcome(event_id: str) -> Outcome:
    error = FieldError(["body", "event_id"], ANOTHER_BODY)
    return Outcome(event_id, Status.REJECTED, errors=[error], reason="conflict")


def invalid_customer_outcome(event_id: str, message: str) -> Outcome:
    error = FieldError(["body", "customer_id"], message)
    return Outcome(event_id, Status.REJECTED, errors=[error], reason=message)
