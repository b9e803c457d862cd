"""The customers service claims identities for a customer before it commits (API.md, ingest)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from crm_ingest import repository
from crm_ingest.policy.identities import Identity, claim_identities, held_elsewhere
from crm_ingest.policy.normalization import InvalidEvent, normalize_contact
from crm_ingest.schemas import ClaimAnswer, ClaimRequest
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import Clock
from crm_servicekit.problems import Conflict, FieldError, Unprocessable


@dataclass(frozen=True)
class Claims:
    pool: asyncpg.Pool
    accounts: Accounts
    clock: Clock

    async def claim(self, claim: ClaimRequest) -> ClaimAnswer:
        """Link the identities to the customer, or 409 naming the live customer holding one."""
        account = self.accounts.get(claim.account_id)
        if account is None:
            raise Unprocessable(
                "Unknown account.", errors=[FieldError(["body", "account_id"], "unknown account")]
            )
        try:
            # Normalized again (it is idempotent), so a caller's slip cannot split a person.
            checked = normalize_contact(
                claim.identities.as_contact(), account.default_region, ["body", "identities"]
            )
            # A claim names identities to hold, so a phone that is no valid number is refused
            # rather than left off as in an event.
            if checked.phone_refused is not None:
                raise InvalidEvent([checked.phone_refused])
        except InvalidEvent as invalid:
            raise Unprocessable("Invalid identities.", errors=invalid.errors) from None
        identities = claim_identities(checked.contact)
        await self._link(claim.account_id, claim.customer_id, identities)
        return ClaimAnswer(
            customer_id=claim.customer_id, claimed=[identity.as_json() for identity in identities]
        )

    async def _link(self, account_id: str, customer_id: UUID, identities: list[Identity]) -> None:
        now = self.clock.now()
        async with self.pool.acquire() as conn, conn.transaction():
            if await repository.is_deleted(conn, account_id, customer_id):
                raise Unprocessable(
                    "Deleted customer.",
                    errors=[FieldError(["body", "customer_id"], "deleted customer")],
                )
            owner = await repository.remember_customer(conn, account_id, customer_id, now)
            if owner != account_id:
                raise Unprocessable(
                    "Unknown customer.",
                    errors=[FieldError(["body", "customer_id"], "unknown customer")],
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
        raise Conflict(
            f"The {held.kind.label} is held by another customer.",
            holder_customer_id=str(linked[held]),
            identity=held.as_json(),
        )
