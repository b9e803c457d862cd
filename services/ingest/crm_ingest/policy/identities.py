"""Which identities an event or a claim names, in docs/domain.md's priority order (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from uuid import UUID

from crm_schemas.contact import Contact
from crm_schemas.envelope import IncomingEvent
from crm_schemas.identity import email_sha256, phone_sha256


class IdentityKind(IntEnum):
    """Lower value, higher priority: resolution takes the first one already linked."""

    EMAIL = 1
    PHONE = 2
    PLATFORM_ID = 3
    HANDLE = 4
    EXTERNAL_ID = 5
    EMAIL_SHA256 = 6
    PHONE_SHA256 = 7

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Identity:
    kind: IdentityKind
    value: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind.label, "value": self.value}


def identities_of(event: IncomingEvent) -> list[Identity]:
    """The event's identities (already normalized), highest priority first, without repeats."""
    found: set[Identity] = set()
    if event.user_id:
        platform = event.source.value if event.source is not None else "unknown"
        found.add(Identity(IdentityKind.PLATFORM_ID, f"{platform}:{event.user_id}"))
    if event.contact is not None:
        found.update(contact_identities(event.contact))
    return sorted(found)


def contact_identities(contact: Contact) -> set[Identity]:
    found: set[Identity] = set()
    if contact.email:
        found.add(Identity(IdentityKind.EMAIL, contact.email))
        # A plain email also stands for its hash, so a hashed CAPI lead finds this customer.
        found.add(Identity(IdentityKind.EMAIL_SHA256, email_sha256(contact.email)))
    if contact.phone:
        found.add(Identity(IdentityKind.PHONE, contact.phone))
        found.add(Identity(IdentityKind.PHONE_SHA256, phone_sha256(contact.phone)))
    if contact.handles is not None:
        for platform, handle in contact.handles.present().items():
            found.add(Identity(IdentityKind.HANDLE, f"{platform}:{handle}"))
    if contact.external_id:
        found.add(Identity(IdentityKind.EXTERNAL_ID, contact.external_id))
    if contact.email_sha256:
        found.add(Identity(IdentityKind.EMAIL_SHA256, contact.email_sha256))
    if contact.phone_sha256:
        found.add(Identity(IdentityKind.PHONE_SHA256, contact.phone_sha256))
    return found


def claim_identities(contact: Contact) -> list[Identity]:
    """The identities a claim names, in the order resolution weighs them."""
    return sorted(contact_identities(contact))


def held_elsewhere(linked: dict[Identity, UUID], customer_id: UUID) -> Identity | None:
    """The highest-priority identity linked to another customer than `customer_id`, if any."""
    held = sorted(identity for identity, holder in linked.items() if holder != customer_id)
    return held[0] if held else None
