"""What the booking tools' mappers share (pure): the incoming event they build, checked as
ingest will check it, and refusals that name the provider's own field.

A mapper hands on only events that validate, so a booking the CRM cannot take is `rejected` in
the deliveries log with the provider's field named, rather than failing later in the core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from crm_ingest.policy.connectors.items import Mapped, SkipOutcome, Skipped
from crm_schemas.contact import Source
from crm_schemas.envelope import IncomingEvent
from crm_schemas.storable import StorableText

SOURCE: Final = Source.WEB.value
# The account is added by the core; any valid id stands in for it while checking.
_PROBE_ACCOUNT: Final = "probe"
_MAX_REASON: Final = 500

_REFERENCE = TypeAdapter(Annotated[StorableText, Field(min_length=1, max_length=255)])


class Delivery(BaseModel):
    """A provider's webhook delivery: its own fields around a `payload` read by another model."""

    payload: Any = None


_Delivery = TypeVar("_Delivery", bound=Delivery)
_Payload = TypeVar("_Payload", bound=BaseModel)


def field_path(loc: Sequence[str | int]) -> str:
    """`payload.attendees[0].email` from pydantic's ("payload", "attendees", 0, "email")."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def rejected(reason: str) -> Skipped:
    return Skipped(SkipOutcome.REJECTED, reason[:_MAX_REASON])


def ignored(reason: str) -> Skipped:
    return Skipped(SkipOutcome.IGNORED, reason)


def not_modelled(what: str, value: Any) -> Skipped:
    """Ignored: a trigger or event name the CRM has no event for (shown cut short)."""
    shown = value if isinstance(value, str) else type(value).__name__
    return ignored(f"{what} {shown[:100]!r} is not modelled")


def payload_text(document: Any, key: str) -> str:
    """A text field of the delivery's payload (the provider's id of the item), else empty."""
    payload = document.get("payload") if isinstance(document, dict) else None
    value = payload.get(key) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else ""


def read_delivery(
    document: Any, delivery: type[_Delivery], payload: type[_Payload]
) -> tuple[_Delivery, _Payload] | Skipped:
    """The delivery and its payload read with their models, or rejected naming the first fault
    at its place in the body."""
    try:
        read = delivery.model_validate(document)
    except ValidationError as error:
        return refusal(error, ())
    try:
        return read, payload.model_validate(read.payload)
    except ValidationError as error:
        return refusal(error, ("payload",))


def refusal(error: ValidationError, prefix: Sequence[str | int]) -> Skipped:
    """The first fault of a provider document read with a model, at its place in the body."""
    first = error.errors(include_url=False)[0]
    return rejected(f"{field_path([*prefix, *first['loc']])}: {first['msg']}")


def reference_of(value: Any) -> str | None:
    """A booking link's reference as the provider handed it back, if it is text at all; what it
    names is judged by the core, which ignores anything but a known customer of the account."""
    try:
        return _REFERENCE.validate_python(value.strip() if isinstance(value, str) else value)
    except ValidationError:
        return None


def without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def checked(
    event: dict[str, Any],
    *,
    booking_reference: str | None,
    where: Mapping[str, str],
    books: str | None = None,
    follows: str | None = None,
) -> Mapped | Skipped:
    """The event as a Mapped item, or rejected naming the provider field it came from.

    `where` maps an event field ("contact.email", "" for the event as a whole) to the
    provider's field, so that the reason speaks the provider's language.
    """
    try:
        IncomingEvent.model_validate({**event, "account_id": _PROBE_ACCOUNT})
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        path = field_path(first["loc"])
        named = _provider_field(path, where)
        return rejected(f"{named}: {first['msg']}")
    return Mapped(event, booking_reference=booking_reference, books=books, follows=follows)


def _provider_field(path: str, where: Mapping[str, str]) -> str:
    probe = path
    while probe:
        if probe in where:
            return where[probe]
        probe = probe.rpartition(".")[0]
    return where.get("", f"event {path}")
