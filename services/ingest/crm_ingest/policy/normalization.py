"""Normalization of what clients send into the incoming envelope: pure functions, no I/O.

Sources take their canonical names; emails, phones and handles are normalized as
crm_schemas.identity does for every service (a phone without a country code is read in the
account's default_region in force at the event's timestamp, and one that is no valid number
there is left off the event); a timestamp too far in the future is refused. Every refusal
names its field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from pydantic import ValidationError

from crm_schemas.account_settings import SettingsHistory
from crm_schemas.contact import Contact, Source
from crm_schemas.envelope import IncomingEvent
from crm_schemas.identity import normalize_email, normalize_handle, normalize_phone
from crm_schemas.storable import unstorable
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


class InvalidEvent(ValueError):
    """The event cannot be accepted; ``errors`` name each bad field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = list(errors)

    def renamed(self, loc: Sequence[str | int], to: Sequence[str | int] | None) -> InvalidEvent:
        """The same refusal with the field at `loc` named `to` (where the client wrote it)."""
        if to is None:
            return self
        return InvalidEvent(
            [FieldError(list(to), e.msg) if list(e.loc) == list(loc) else e for e in self.errors]
        )


def normalize_source(raw: str) -> str:
    """``Instagram``, ``instagram`` and `` IG `` are all ``ig``; an unknown name is kept as is
    (lowercased) so that validation names it."""
    key = re.sub(r"[\s\-]+", "_", raw.strip().lower())
    return SOURCE_ALIASES.get(key, key)


def refuse_unstorable(document: Any, loc: Sequence[str | int]) -> None:
    """Refuse anything in a JSON document, keys included, that no store can hold: NUL, a lone
    surrogate, NaN, Infinity or a number beyond a double (crm_schemas.storable), naming each
    place.

    Every service stores what an event carries: let in, it would fail every store downstream,
    or (NaN, Infinity) be dropped silently. Called once per document a client sent, where it
    is parsed (an event, a batch item, a hook), not on the envelopes built from already
    checked hooks.
    """
    found = unstorable(document, loc)
    if found:
        raise InvalidEvent([FieldError(list(item.loc), item.msg) for item in found])


def check_not_future(timestamp: datetime, now: datetime, tolerance: timedelta) -> None:
    if timestamp > now + tolerance:
        minutes = int(tolerance.total_seconds() // 60)
        raise InvalidEvent(
            [FieldError(["body", "timestamp"], f"is more than {minutes} minutes in the future")]
        )


@dataclass(frozen=True)
class Normalized:
    """A client's event, normalized, and the identities left off it (their kinds)."""

    event: IncomingEvent
    dropped: tuple[str, ...] = ()


def normalize_incoming(
    raw: Any,
    *,
    account_id: str,
    settings: SettingsHistory,
    now: datetime,
    future_tolerance: timedelta,
    default_source: Source,
    loc: Sequence[str | int] = ("body",),
) -> Normalized:
    """A client's event, checked and normalized, for the given (already authenticated) account.

    An event without a source gets ``default_source`` (the topic envelope requires one). A
    phone that is no valid number in the account's region is left off (it would link unrelated
    people, and the rest of the event is still worth having), unless it was all the event
    said about whom it is about. The account's ``settings`` history says which default_region
    was in force at the event's timestamp.
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
    dropped: tuple[str, ...] = ()
    if event.contact is not None:
        region = settings.in_force(event.timestamp).default_region
        checked = normalize_contact(event.contact, region, [*loc, "contact"])
        event = event.model_copy(update={"contact": checked.contact})
        if checked.phone_refused is not None:
            if not _names_someone(event):
                raise InvalidEvent([checked.phone_refused])
            dropped = ("phone",)
    check_not_future(event.timestamp, now, future_tolerance)
    return Normalized(event, dropped)


@dataclass(frozen=True)
class CheckedContact:
    """A contact normalized; an invalid phone is left off it, and why is kept here."""

    contact: Contact
    phone_refused: FieldError | None = None


def normalize_contact(
    contact: Contact, default_region: str, loc: Sequence[str | int]
) -> CheckedContact:
    """Emails and handles normalized or refused (each bad one named); a phone in E.164, or
    left off when it is no valid number in the region (the caller decides what that means)."""
    errors: list[FieldError] = []
    update: dict[str, Any] = {}
    phone_refused = None
    if contact.email is not None:
        try:
            update["email"] = normalize_email(contact.email)
        except ValueError as error:
            errors.append(FieldError([*loc, "email"], str(error)))
    if contact.phone is not None:
        try:
            update["phone"] = normalize_phone(contact.phone, default_region)
        except ValueError as error:
            update["phone"] = None
            phone_refused = FieldError([*loc, "phone"], str(error))
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
    return CheckedContact(contact.model_copy(update=update), phone_refused)


def _names_someone(event: IncomingEvent) -> bool:
    """What the envelope asks of every event: a customer id or an identity."""
    has_identity = event.contact is not None and event.contact.has_identity()
    return event.customer_id is not None or bool(event.user_id) or has_identity


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
