"""Which identities an event or a claim names, in docs/domain.md's priority order (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from uuid import UUID

from crm_schemas.contact import Contact, Handles, LinkedIdentities
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


# Kinds held once per customer (docs/domain.md, one value of each kind per customer): an email
# with its hash, a phone with its hash, a handle per platform. Platform and external ids may be
# several.
_HASH_OF = {IdentityKind.EMAIL: email_sha256, IdentityKind.PHONE: phone_sha256}
_SLOT_OF = {
    IdentityKind.EMAIL: "email",
    IdentityKind.EMAIL_SHA256: "email",
    IdentityKind.PHONE: "phone",
    IdentityKind.PHONE_SHA256: "phone",
}


def slot_of(identity: Identity) -> str | None:
    """Which of the customer's single values this identity is (`email`, `phone`, `handle:ig`),
    or None for kinds a customer may hold several of."""
    if identity.kind is IdentityKind.HANDLE:
        return "handle:" + identity.value.partition(":")[0]
    return _SLOT_OF.get(identity.kind)


def kind_label(slot: str) -> str:
    """The slot as the metrics name it: email, phone or handle."""
    return slot.partition(":")[0]


def _fingerprint(identity: Identity) -> str:
    """One value for an email and its hash alike, so a hash of the held email is the same email
    and any other hash another one."""
    hashed = _HASH_OF.get(identity.kind)
    return hashed(identity.value) if hashed is not None else identity.value


@dataclass(frozen=True)
class Linkable:
    """Of the identities not linked yet, those the customer may take, and the slots of the
    others (the customer holds another value of that kind, or the event named two)."""

    identities: list[Identity]
    refused: set[str]


def one_of_each_kind(held: Iterable[Identity], unlinked: Iterable[Identity]) -> Linkable:
    """The unlinked identities a customer holding `held` may take: a slot's value only when the
    slot is empty or holds that same value (an email beside its own hash)."""
    prints: dict[str, set[str]] = {}
    for identity in held:
        slot = slot_of(identity)
        if slot is not None:
            prints.setdefault(slot, set()).add(_fingerprint(identity))
    taken: list[Identity] = []
    refused: set[str] = set()
    for identity in sorted(unlinked):  # a plain value before a hash: the plain one decides
        slot = slot_of(identity)
        if slot is not None:
            slot_prints = prints.setdefault(slot, set())
            if slot_prints and _fingerprint(identity) not in slot_prints:
                refused.add(slot)
                continue
            slot_prints.add(_fingerprint(identity))
        taken.append(identity)
    return Linkable(taken, refused)


def replaced(
    held: Iterable[Identity], claimed: Iterable[Identity], released: Iterable[Identity]
) -> set[Identity]:
    """What a claim unlinks from its customer: each held value of a slot the claim names that
    is not the claimed value (with its hash), and the released values the customer holds."""
    claimed_set = set(claimed)
    named = {slot for slot in map(slot_of, claimed_set) if slot is not None}
    dropped = set(released)
    return {
        identity
        for identity in held
        if identity in dropped or (slot_of(identity) in named and identity not in claimed_set)
    }


def linked_identities(identities: Iterable[Identity]) -> LinkedIdentities | None:
    """The envelope's `linked_identities`: the plain email, phone and handles among the
    identities linked to the event's customer; None when there are none."""
    found: dict[str, str] = {}
    handles: dict[str, str] = {}
    for identity in identities:
        if identity.kind is IdentityKind.EMAIL:
            found["email"] = identity.value
        elif identity.kind is IdentityKind.PHONE:
            found["phone"] = identity.value
        elif identity.kind is IdentityKind.HANDLE:
            platform, _, handle = identity.value.partition(":")
            if platform in Handles.model_fields:
                handles[platform] = handle
    if not found and not handles:
        return None
    return LinkedIdentities(
        email=found.get("email"),
        phone=found.get("phone"),
        handles=Handles.model_validate(handles) if handles else None,
    )
