"""What the booking tools' mappers share (pure): the incoming event they build, checked as
ingest will check it, and refusals that name the provider's own field.

A mapper hands on only events that validate, so a booking the CRM cannot take is `rejected` in
the deliveries log with the provider's field named, rather than failing later in the core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final

from pydantic import Field, TypeAdapter, ValidationError

from crm_ingest.policy.connectors.items import Mapped, SkipOutcome, Skipped
from crm_schemas.contact import Source
from crm_schemas.envelope import IncomingEvent
from crm_schemas.storable import StorableText

SOURCE: Final = Source.WEB.value
# The account is added by the core; any valid id stands in for it while checking.
_PROBE_ACCOUNT: Final = "probe"
_MAX_REASON: Final = 500

_REFERENCE = TypeAdapter(Annotated[StorableText, Field(min_length=1, max_length=255)])


def field_path(loc: Sequence[str | int]) -> str:
    """`payload.attendees[0].email` from pydantic's ("payload", "attendees", 0, "email")."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def rejected(reason: str) -> Skipped:
    return Skipped(SkipOutcome.REJECTED, reason[:_MAX_REASON])


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
