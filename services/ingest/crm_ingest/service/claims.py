"""The customers service claims identities for a customer before it commits
(docs/architecture.md, ingest)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from crm_ingest import repository
from crm_ingest.policy.identities import Identity, claim_identities, held_elsewhere
from crm_ingest.policy.normalization import InvalidEvent, normalize_contact
from crm_ingest.schemas import ClaimAnswer, ClaimRequest
from crm_ingest.service.account_settings import SettingsCache
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import Clock
from crm_servicekit.problems import FieldError


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


@dataclass(frozen=True)
class Claims:
    pool: asyncpg.Pool
    accounts: Accounts
    clock: Clock
    # A claim is made now: the default_region in force now reads its phone.
    account_settings: SettingsCache

    async def claim(self, claim: ClaimRequest) -> ClaimAnswer:
        """Link the identities to the customer; `IdentityHeld` names a live customer holding
        one, `ClaimRefused` what else keeps the claim out."""
        account = self.accounts.get(claim.account_id)
        if account is None:
            raise ClaimRefused(
                "Unknown account.", [FieldError(["body", "account_id"], "unknown account")]
            )
        settings = await self.account_settings.history(account)
        region = settings.in_force(self.clock.now()).default_region
        try:
            # Normalized again (it is idempotent), so a caller's slip cannot split a person.
            checked = normalize_contact(
                claim.identities.as_contact(), region, ["body", "identities"]
            )
            # A claim names identities to hold, so a phone that is no valid number is refused
            # rather than left off as in an event.
            if checked.phone_refused is not None:
                raise InvalidEvent([checked.phone_refused])
        except InvalidEvent as invalid:
            raise ClaimRefused("Invalid identities.", invalid.errors) from None
        identities = claim_identities(checked.contact)
        await self._link(claim.account_id, claim.customer_id, identities)
        return ClaimAnswer(
            customer_id=claim.customer_id, claimed=[identity.as_json() for identity in identities]
        )

    async def _link(self, account_id: str, customer_id: UUID, identities: list[Identity]) -> None:
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
            linked = await repository.linked_customers(conn, account_id, identities)
            _refuse_held(linked, customer_id)
            unlinked = [i for i in identities if i not in linked]
            won = await repository.link_identities(conn, account_id, unlinked, customer_id, now)
            if len(won) != len(unlinked):  # another claim or event linked one meanwhile
                linked = await repository.linked_customers(conn, account_id, identities)
                _refuse_held(linked, customer_id)


def _refuse_held(linked: dict[Identity, UUID], customer_id: UUID) -> None:
    held = held_elsewhere(linked, customer_id)
    if held is not None:
        raise IdentityHeld(held, linked[held])
