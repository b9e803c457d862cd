"""The providers' webhook bodies (DM tools, Meta-style lead ads) as incoming events (pure)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from crm_ingest.policy.normalization import InvalidEvent, field_errors, refuse_unstorable
from crm_ingest.schemas import CapiLead, DmHook, DmSender
from crm_schemas.catalog import EventName
from crm_schemas.contact import Source
from crm_schemas.envelope import IncomingEvent
from crm_schemas.identity import is_sha256_hex, normalize_email, normalize_handle
from crm_servicekit.problems import FieldError

_BODY = ("body",)


def parse_dm(raw: Any) -> DmHook:
    refuse_unstorable(raw, _BODY)
    try:
        return DmHook.model_validate(raw)
    except ValidationError as error:
        raise InvalidEvent(field_errors(error, _BODY)) from None


def dm_as_incoming(hook: DmHook) -> dict[str, Any]:
    """The DM as a DM_STARTED envelope; `as_message_received` turns a later one around."""
    handle = _handle_of(hook.sender)
    handles = {hook.platform.value: handle} if handle else None
    contact: dict[str, Any] = {"handles": handles, "name": hook.sender.name}
    properties = {
        "text": hook.text,
        "sender_id": hook.sender.id,
        "sender_handle": handle,
        "sender_name": hook.sender.name,
    }
    return _without_none(
        {
            "event_name": EventName.DM_STARTED.value,
            "event_id": hook.event_id,
            "account_id": hook.account_id,
            "timestamp": hook.timestamp,
            "user_id": hook.sender.id,
            "source": hook.platform.value,
            "contact": _without_none(contact),
            "properties": _without_none(properties),
            "consent": hook.consent,
            "utm": hook.utm,
        }
    )


def _handle_of(sender: DmSender) -> str | None:
    if sender.handle is None:
        return None
    try:
        return normalize_handle(sender.handle)
    except ValueError as error:
        raise InvalidEvent([FieldError(["body", "sender", "handle"], str(error))]) from None


def as_message_received(event: IncomingEvent) -> IncomingEvent:
    """A DM after the first from that customer on that platform (docs/domain.md, DM_STARTED)."""
    channel = event.source.value if event.source is not None else "unknown"
    properties = _without_none({"channel": channel, "text": event.properties.get("text")})
    return event.model_copy(
        update={"event_name": EventName.MESSAGE_RECEIVED, "properties": properties}
    )


def _lead_identities(lead: CapiLead) -> list[tuple[str, Any, list[str | int]]]:
    """A lead's email and phone as the provider may send them, first found first taken."""
    form = lead.lead or {}
    return [
        ("email", _first(lead.user_data.em), ["body", "user_data", "em"]),
        ("email", form.get("email"), ["body", "lead", "email"]),
        ("phone", _first(lead.user_data.ph), ["body", "user_data", "ph"]),
        ("phone", form.get("phone"), ["body", "lead", "phone"]),
    ]


def lead_phone_field(lead: CapiLead) -> list[str | int] | None:
    """Where the plain phone `capi_as_incoming` took came from, so that a refusal of it names
    the lead's own field rather than the event's contact.phone."""
    for key, value, where in _lead_identities(lead):
        if key == "phone" and isinstance(value, str) and not is_sha256_hex(value):
            return where
    return None


def parse_capi(raw: Any) -> CapiLead:
    refuse_unstorable(raw, _BODY)
    try:
        return CapiLead.model_validate(raw)
    except ValidationError as error:
        raise InvalidEvent(field_errors(error, _BODY)) from None


def capi_as_incoming(lead: CapiLead) -> dict[str, Any]:
    """LEAD_QUALIFIED with source ads; em/ph plain or SHA-256 hex, form answers kept."""
    errors: list[FieldError] = []
    form = lead.lead or {}
    contact: dict[str, Any] = {}
    for key, value, where in _lead_identities(lead):
        if value is None or contact.get(key) is not None:
            continue
        if not isinstance(value, str):
            errors.append(FieldError(where, "must be a string"))
        elif is_sha256_hex(value):
            contact[f"{key}_sha256"] = value.strip().lower()
        elif key == "phone":
            # Normalized with the event's contact, where an invalid number is left off.
            contact[key] = value
        else:
            try:
                contact[key] = normalize_email(value)
            except ValueError as error:
                errors.append(FieldError(where, str(error)))
    if errors:
        raise InvalidEvent(errors)
    full_name = form.get("full_name")
    joined = " ".join(part for part in (lead.user_data.fn, lead.user_data.ln) if part)
    contact["name"] = full_name if isinstance(full_name, str) and full_name else joined or None
    contact["external_id"] = _first(lead.user_data.external_id)
    why = form.get("prospect_why")
    properties = {
        "prospect_why": why if isinstance(why, str) else None,
        "answers": form or None,
        "custom_data": lead.custom_data,
        "fbp": lead.user_data.fbp,
        "fbc": lead.user_data.fbc,
    }
    return _without_none(
        {
            "event_name": EventName.LEAD_QUALIFIED.value,
            "event_id": lead.event_id,
            "account_id": lead.account_id,
            "timestamp": lead.occurred_at,
            "source": Source.ADS.value,
            "contact": _without_none(contact),
            "properties": _without_none(properties),
            "consent": lead.consent,
            "utm": lead.utm,
        }
    )


def _first(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
