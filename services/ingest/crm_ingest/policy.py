"""Normalization of what clients send into the incoming envelope: pure functions, no I/O.

Sources take their canonical names, handles lose case and '@', emails are trimmed, lowercased
and syntax-checked, phones become E.164 (the account's region when no country code is
given), and a timestamp too far in the future is refused. Every refusal names its field.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError

from crm_schemas.contact import Contact, Source
from crm_schemas.envelope import IncomingEvent
from crm_servicekit.problems import FieldError

# What providers and people write for a source, mapped to its canonical name.
SOURCE_ALIASES: Final[Mapping[str, str]] = {
    "instagram": "ig",
    "insta": "ig",
    "instagram_dm": "ig",
    "facebook": "messenger",
    "fb": "messenger",
    "facebook_messenger": "messenger",
    "fb_messenger": "messenger",
    "wa": "whatsapp",
    "whats_app": "whatsapp",
    "whatsapp_business": "whatsapp",
    "meta_ads": "ads",
    "facebook_ads": "ads",
    "lead_ads": "ads",
    "website": "web",
    "webform": "web",
}
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


class InvalidEvent(ValueError):
    """The event cannot be accepted; ``errors`` name each bad field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = list(errors)


def normalize_source(raw: str) -> str:
    """``Instagram``, ``instagram`` and `` IG `` are all ``ig``; an unknown name is kept as is
    (lowercased) so that validation names it."""
    key = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    return SOURCE_ALIASES.get(key, key)


def normalize_handle(raw: str) -> str:
    handle = raw.strip().lstrip("@").strip().lower()
    if not handle:
        raise ValueError("a handle needs at least one character besides '@'")
    return handle


# Senders repeat the same prospects' addresses and numbers; the checks are pure, so cache them.
@functools.lru_cache(maxsize=65_536)
def normalize_email(raw: str) -> str:
    """Trimmed and lowercased, after a syntax check (no DNS lookup: it must work offline)."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None
    return checked.normalized.lower()


@functools.lru_cache(maxsize=65_536)
def normalize_phone(raw: str, default_region: str) -> str:
    """E.164; a number without a country code is read in the account's region."""
    try:
        number = phonenumbers.parse(raw.strip(), default_region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number: {error}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number (region {default_region} assumed)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_sha256_hex(value: str) -> bool:
    return bool(_SHA256_HEX.match(value.strip()))


def email_sha256(email: str) -> str:
    """Meta's hashed email: SHA-256 hex of the trimmed, lowercased address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def phone_sha256(e164: str) -> str:
    """Meta's hashed phone: SHA-256 hex of the digits with country code, no '+'."""
    return hashlib.sha256(e164.lstrip("+").encode()).hexdigest()


def refuse_nul(document: Any, loc: Sequence[str | int]) -> None:
    """Refuse U+0000 anywhere in a JSON document, keys included, naming each place.

    PostgreSQL's text and jsonb cannot hold it, and every service stores what an event
    carries: let in, it would fail every store downstream. JSON can only carry it escaped.
    Called once per document a client sent, where it is parsed (an event, a batch item, a
    hook), not on the envelopes built from already checked hooks.
    """
    errors: list[FieldError] = []
    _collect_nul(document, list(loc), errors)
    if errors:
        raise InvalidEvent(errors)


def _collect_nul(value: Any, loc: list[str | int], errors: list[FieldError]) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            errors.append(FieldError(loc, "must not contain the NUL character (U+0000)"))
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                errors.append(FieldError(loc, "must not have a key with the NUL character"))
            _collect_nul(item, [*loc, key], errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect_nul(item, [*loc, index], errors)


def check_not_future(timestamp: datetime, now: datetime, tolerance: timedelta) -> None:
    if timestamp > now + tolerance:
        minutes = int(tolerance.total_seconds() // 60)
        raise InvalidEvent(
            [FieldError(["body", "timestamp"], f"is more than {minutes} minutes in the future")]
        )


def normalize_incoming(
    raw: Any,
    *,
    account_id: str,
    default_region: str,
    now: datetime,
    future_tolerance: timedelta,
    default_source: Source,
    loc: Sequence[str | int] = ("body",),
) -> IncomingEvent:
    """A client's event, checked and normalized, for the given (already authenticated) account.

    An event without a source gets ``default_source`` (the topic envelope requires one).
    """
    if not isinstance(raw, dict):
        raise InvalidEvent([FieldError(list(loc), "must be a JSON object")])
    data = dict(raw)
    named = data.get("account_id")
    if named is not None and named != account_id:
        raise InvalidEvent(
            [FieldError([*loc, "account_id"], "does not match the authenticated account")]
        )
    data["account_id"] = account_id
    if isinstance(data.get("source"), str):
        data["source"] = normalize_source(data["source"])
    elif data.get("source") is None:
        data["source"] = default_source.value
    contact = data.get("contact")
    if isinstance(contact, dict):
        data["contact"] = _lowercased_hashes(contact)
    try:
        event = IncomingEvent.model_validate(data)
    except ValidationError as error:
        raise InvalidEvent(field_errors(error, loc)) from None
    if event.contact is not None:
        event = event.model_copy(
            update={"contact": normalize_contact(event.contact, default_region, [*loc, "contact"])}
        )
    check_not_future(event.timestamp, now, future_tolerance)
    return event


def normalize_contact(contact: Contact, default_region: str, loc: Sequence[str | int]) -> Contact:
    errors: list[FieldError] = []
    update: dict[str, Any] = {}
    if contact.email is not None:
        try:
            update["email"] = normalize_email(contact.email)
        except ValueError as error:
            errors.append(FieldError([*loc, "email"], str(error)))
    if contact.phone is not None:
        try:
            update["phone"] = normalize_phone(contact.phone, default_region)
        except ValueError as error:
            errors.append(FieldError([*loc, "phone"], str(error)))
    if contact.handles is not None:
        handles: dict[str, str | None] = {}
        for platform, value in contact.handles.model_dump().items():
            if value is None:
                continue
            try:
                handles[platform] = normalize_handle(value)
            except ValueError as error:
                errors.append(FieldError([*loc, "handles", platform], str(error)))
        update["handles"] = contact.handles.model_copy(update=handles)
    if errors:
        raise InvalidEvent(errors)
    return contact.model_copy(update=update)


def content_hash(event: IncomingEvent) -> str:
    """The hash that tells a repeat (same event_id, same content) from a conflicting reuse."""
    canonical = json.dumps(
        event.model_dump(mode="json", by_alias=True, exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def field_errors(error: ValidationError, loc: Sequence[str | int]) -> list[FieldError]:
    return [
        FieldError([*loc, *item["loc"]], item["msg"])
        for item in error.errors(include_url=False, include_input=False)
    ]


def _lowercased_hashes(contact: dict[str, Any]) -> dict[str, Any]:
    # Meta documents lowercase hex; some senders upper-case it. Same hash, same identity.
    fixed = dict(contact)
    for key in ("email_sha256", "phone_sha256"):
        if isinstance(fixed.get(key), str):
            fixed[key] = fixed[key].strip().lower()
    return fixed
