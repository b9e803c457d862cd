"""The customers service claims identities for a customer before it commits
(docs/architecture.md, ingest).

A claim names the customer's complete set of email, phone and handles after the change: of
each kind it names, that value becomes the one linked, and the customer's other value of the
kind is released with its hash, in the transaction of the link; `release` names values the
customer no longer has. Only the claiming customer's rows are ever released, and a value held
by another customer refuses the whole claim (409), releasing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from uuid import UUID

import asyncpg
from asyncpg.exceptions import DeadlockDetectedError

from crm_ingest import repository
from crm_ingest.policy.identities import (
    Identity,
    claim_identities,
    contact_identities,
    held_elsewhere,
    replaced,
)
from crm_ingest.policy.normalization import CheckedContact, InvalidEvent, normalize_contact
from crm_ingest.schemas import ClaimAnswer, ClaimedIdentities, ClaimRequest
from crm_ingest.service.account_settings import SettingsCache
from crm_schemas.contact import Contact
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import Clock
from crm_servicekit.problems import FieldError

# An event linking a value of a kind to the customer between the claim's release and its link
# makes the link miss; the claim then releases that value too and links again.
_LINK_ATTEMPTS = 5


class ClaimRefused(Exception):
    """The claim names an unknown account or customer, a deleted one, or invalid identities."""

    def __init__(self, title: str, errors: list[FieldError]) -> None:
        super().__init__(title)
        self.title = title
        self.errors = errors


class IdentityHeld(Exception):
    """A live customer other than the claiming one holds this identity."""

    def __init__(self, identity: Identity, holder: UUID) -> None:
        super().__init__(f"{identity.kind.label} held by {holder}")
        self.identity = identity
        self.holder = holder


class ClaimRaced(Exception):
    """Events kept linking values of the claimed kinds to the customer; the claim may be
    retried."""


class _Link(NamedTuple):
    """A checked claim: the identities to link to the customer and those to release."""

    account_id: str
    customer_id: UUID
    identities: list[Identity]
    to_release: list[Identity]


@dataclass(frozen=True)
class Claims:
    pool: asyncpg.Pool
    accounts: Accounts
    clock: Clock
    # A claim is made now: the default_region in force now reads its phone.
    account_settings: SettingsCache

    async def claim(self, claim: ClaimRequest) -> ClaimAnswer:
        """Make the identities the customer's; `IdentityHeld` names a live customer holding
        one, `ClaimRefused` what else keeps the claim out."""
        account = self.accounts.get(claim.account_id)
        if account is None:
            raise ClaimRefused(
                "Unknown account.", [FieldError(["body", "account_id"], "unknown account")]
            )
        settings = await self.account_settings.history(account)
        region = settings.in_force(self.clock.now()).default_region
        try:
            checked = _checked(claim.identities, region, "identities")
            # A claim names identities to hold, so a phone that is no valid number is refused
            # rather than left off as in an event.
            if checked.phone_refused is not None:
                raise InvalidEvent([checked.phone_refused])
            # A released phone that is no valid number cannot be held: nothing to release.
            released = _checked(claim.release, region, "release").contact
        except InvalidEvent as invalid:
            raise ClaimRefused("Invalid identities.", invalid.errors) from None
        both = _claimed_and_released(checked.contact, released)
        if both:
            raise ClaimRefused("A value both claimed and released.", both)
        link = _Link(
            claim.account_id,
            claim.customer_id,
            claim_identities(checked.contact),
            sorted(contact_identities(released)),
        )
        dropped = await self._link(link)
        return ClaimAnswer(
            customer_id=claim.customer_id,
            claimed=[identity.as_json() for identity in link.identities],
            released=[identity.as_json() for identity in sorted(dropped)],
        )

    async def _link(self, link: _Link) -> set[Identity]:
        for _ in range(_LINK_ATTEMPTS):
            try:
                return await self._link_once(link)
            except DeadlockDetectedError:  # crossed an event's links; PostgreSQL rolled it back
                continue
        raise ClaimRaced

    async def _link_once(self, link: _Link) -> set[Identity]:
        account_id, customer_id, identities, to_release = link
        now = self.clock.now()
        async with self.pool.acquire() as conn, conn.transaction():
            if await repository.is_deleted(conn, account_id, customer_id):
                raise ClaimRefused(
                    "Deleted customer.", [FieldError(["body", "customer_id"], "deleted customer")]
                )
            owner = await repository.remember_customer(conn, account_id, customer_id, now)
            if owner != account_id:
                raise ClaimRefused(
                    "Unknown customer.", [FieldError(["body", "customer_id"], "unknown customer")]
                )
            dropped: set[Identity] = set()
            for _ in range(_LINK_ATTEMPTS):
                linked = await repository.linked_customers(conn, account_id, identities)
                _refuse_held(linked, customer_id)
                held = await repository.held_by(conn, account_id, [customer_id])
                gone = replaced(held.get(customer_id, frozenset()), identities, to_release)
                dropped |= await repository.unlink(conn, account_id, customer_id, sorted(gone))
                unlinked = [i for i in identities if i not in linked]
                won = await repository.link_identities(conn, account_id, unlinked, customer_id, now)
                if len(won) == len(unlinked):
                    return dropped
            raise ClaimRaced


def _checked(given: ClaimedIdentities | None, region: str, field: str) -> CheckedContact:
    """Normalized again (it is idempotent), so a caller's slip cannot split a person."""
    contact = (given or ClaimedIdentities()).as_contact()
    return normalize_contact(contact, region, ["body", field])


def _claimed_and_released(claimed: Contact, released: Contact) -> list[FieldError]:
    """Each value of `release` that the claim also names (it cannot be both)."""
    errors = [
        FieldError(["body", "release", name], "is also claimed in identities")
        for name in ("email", "phone", "external_id")
        if getattr(released, name) is not None and getattr(released, name) == getattr(claimed, name)
    ]
    claimed_handles = claimed.handles.present() if claimed.handles else {}
    for platform, handle in (released.handles.present() if released.handles else {}).items():
        if claimed_handles.get(platform) == handle:
            errors.append(
                FieldError(
                    ["body", "release", "handles", platform], "is also claimed in identities"
                )
            )
    return errors


def _refuse_held(linked: dict[Identity, UUID], customer_id: UUID) -> None:
    held = held_elsewhere(linked, customer_id)
    if held is not None:
        raise IdentityHeld(held, linked[held])
