"""Who an event is about and under which terms: source, contact, consent and utm."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm_schemas.storable import STORABLE_TEXT_CHECK, StorableText


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


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: bool | None = None
    sms: bool | None = None
    messaging: bool | None = None
    terms_version: StorableText | None = Field(default=None, max_length=64)


class Utm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: StorableText | None = Field(default=None, max_length=255)
    medium: StorableText | None = Field(default=None, max_length=255)
    campaign: StorableText | None = Field(default=None, max_length=255)
    content: StorableText | None = Field(default=None, max_length=255)
    term: StorableText | None = Field(default=None, max_length=255)
