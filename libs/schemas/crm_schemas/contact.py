"""Who an event is about and under which terms: source, contact, consent and utm."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from crm_schemas.storable import (
    BAD_KEY_MESSAGE,
    STORABLE_TEXT_CHECK,
    StorableText,
    Unstorable,
    number_problem,
    raise_unstorable,
    text_problem,
)


class Source(StrEnum):
    """Where an event came from. `system` is reserved for the services' own events."""

    IG = "ig"
    MESSENGER = "messenger"
    WHATSAPP = "whatsapp"
    WEB = "web"
    ADS = "ads"
    MANUAL = "manual"
    SYSTEM = "system"


CLIENT_SOURCES: frozenset[Source] = frozenset(Source) - {Source.SYSTEM}
MESSAGING_PLATFORMS: frozenset[Source] = frozenset({Source.IG, Source.MESSENGER, Source.WHATSAPP})


# Identities and names are matched, stored and shown: a control character (NUL, tab, newline)
# in one is a sender's bug, refused with the field named rather than stored.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
IdentityText = Annotated[str, StringConstraints(pattern=NO_CONTROL_CHARACTERS), STORABLE_TEXT_CHECK]


def _text(max_length: int) -> Any:
    return Field(default=None, max_length=max_length)


class Handles(BaseModel):
    """Handles on messaging platforms (lowercased, without @, once ingest normalized them)."""

    model_config = ConfigDict(extra="forbid")

    ig: IdentityText | None = _text(255)
    whatsapp: IdentityText | None = _text(255)
    messenger: IdentityText | None = _text(255)

    def present(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class Contact(BaseModel):
    """Identities and name of the prospect as the sender knows them."""

    model_config = ConfigDict(extra="forbid")

    email: IdentityText | None = _text(320)
    phone: IdentityText | None = _text(64)
    handles: Handles | None = None
    name: IdentityText | None = _text(255)
    external_id: IdentityText | None = _text(255)
    # Meta-style SHA-256 hex of the lowercased email / the digits of the E.164 phone.
    email_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    phone_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    def has_identity(self) -> bool:
        handles = self.handles.present() if self.handles else {}
        return bool(
            self.email
            or self.phone
            or handles
            or self.external_id
            or self.email_sha256
            or self.phone_sha256
        )


class LinkedIdentities(BaseModel):
    """The contact identities ingest linked to the customer for one event (the envelope's
    `linked_identities`): the values the customer holds in ingest now, so the card may take
    one it has none of (docs/domain.md, contact data in later events)."""

    model_config = ConfigDict(extra="ignore")

    email: IdentityText | None = _text(320)
    phone: IdentityText | None = _text(64)
    handles: Handles | None = None

    def is_empty(self) -> bool:
        return not (self.email or self.phone or (self.handles and self.handles.present()))


# Consent and utm keep further keys a sender gives beside the known ones (a consent's
# `marketing`, a lead form's `gclid`), stored and returned as given. Each such value is one
# JSON scalar (text, a boolean, a number, or null), and there are at most 32 of them, with
# keys of 1 to 64 characters and text of at most 255: about 10 KB at the very most, so a
# sender cannot store megabytes on every customer through them.
MAX_FURTHER_KEYS: Final = 32
MAX_FURTHER_KEY_LENGTH: Final = 64
MAX_FURTHER_TEXT_LENGTH: Final = 255


def _further_value_problem(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if len(value) > MAX_FURTHER_TEXT_LENGTH:
            return f"must be at most {MAX_FURTHER_TEXT_LENGTH} characters"
        return text_problem(value)
    if isinstance(value, int | float | Decimal):
        return number_problem(value)
    return "must be text, a boolean, a number or null"


def further_keys_problems(data: Any, known: Iterable[str]) -> list[Unstorable]:
    """Why the keys beside the known ones cannot be kept, each named by its key."""
    if not isinstance(data, dict):
        return []
    further = {k: v for k, v in data.items() if k not in set(known)}
    found: list[Unstorable] = []
    if len(further) > MAX_FURTHER_KEYS:
        found.append(Unstorable((), f"must have at most {MAX_FURTHER_KEYS} further keys"))
    for key, value in further.items():
        if not isinstance(key, str) or text_problem(key) is not None:
            found.append(Unstorable((), BAD_KEY_MESSAGE))
        elif not 1 <= len(key) <= MAX_FURTHER_KEY_LENGTH:
            found.append(
                Unstorable((), f"keys must be 1 to {MAX_FURTHER_KEY_LENGTH} characters long")
            )
        elif (problem := _further_value_problem(value)) is not None:
            found.append(Unstorable((key,), problem))
    return found


class _WithFurtherKeys(BaseModel):
    """The known keys typed; further keys kept as given, within the limits above."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _further_keys(cls, data: Any) -> Any:
        raise_unstorable(further_keys_problems(data, cls.model_fields), cls.__name__)
        return data


class Consent(_WithFurtherKeys):
    email: bool | None = None
    sms: bool | None = None
    messaging: bool | None = None
    terms_version: StorableText | None = Field(default=None, max_length=64)


class Utm(_WithFurtherKeys):
    source: StorableText | None = Field(default=None, max_length=255)
    medium: StorableText | None = Field(default=None, max_length=255)
    campaign: StorableText | None = Field(default=None, max_length=255)
    content: StorableText | None = Field(default=None, max_length=255)
    term: StorableText | None = Field(default=None, max_length=255)
