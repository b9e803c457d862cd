"""A change's identities at ingest, kept in step with the card when the change's own commit
fails after ingest took its claim (docs/domain.md, changing an identity).

The committed set is read again under the customer's row lock, the lock a person's change
holds while it claims, and under the lock of their id, which a creation holds while it claims
(it has no row yet), so no later claim can be overwritten by this one: a retry of a failed
creation (the same Idempotency-Key, so the same id) is either seen committed or claims after
it. A creation that did not commit has no committed set: what it claimed is released, so
ingest does not resolve events to a customer who does not exist.

Ingest or PostgreSQL may be away at that moment (often the reason the commit failed): it is
tried once in the request, then a few times in the background over about 40 seconds, then
logged and counted; the customer's next change of an identity claims the complete set again,
which puts ingest right for every kind the card holds (a failed creation's claim that could
not be released keeps its values with its id: an event naming one creates that customer).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from prometheus_client import Counter

from crm_customers.customers.claims import IngestClaims
from crm_customers.customers.policy.changes import Change
from crm_customers.customers.policy.identities import complete_set, dropped
from crm_customers.customers.repository import customers as repository
from crm_servicekit.problems import Conflict, Unprocessable

log = structlog.get_logger(__name__)

RECLAIMS_FAILED = Counter(
    "crm_customers_identity_reclaims_failed",
    "Changes whose commit failed after ingest took their claim, and whose committed identities"
    " could not be claimed again (ingest keeps the attempted ones until the next change).",
)
# After a failed first try (in the request), further tries wait this long before each, in the
# background, so the failed request is answered at once.
_RETRY_DELAYS_S = (0.5, 2.0, 8.0, 30.0)
# The background tries under way (a task nobody references may be collected mid-way).
_RETRYING: set[asyncio.Task[None]] = set()


@dataclass(frozen=True)
class Attempt:
    """A claim ingest may have taken for a change whose transaction then did not commit."""

    pool: asyncpg.Pool
    claims: IngestClaims
    account_id: str
    customer_id: UUID
    attempted: dict[str, Any]

    async def claim_committed(self) -> None:
        """Claim the customer's committed set again, releasing what was attempted beyond it:
        once now, then, if that fails, again in the background a few times."""
        if await self._try():
            return
        task = asyncio.create_task(self._retry())
        _RETRYING.add(task)
        task.add_done_callback(_RETRYING.discard)

    async def _retry(self) -> None:
        for delay in _RETRY_DELAYS_S:
            await asyncio.sleep(delay)
            if await self._try():
                return
        RECLAIMS_FAILED.inc()
        log.error(
            "ingest may hold identities the card does not show until the next change",
            account_id=self.account_id,
            customer_id=str(self.customer_id),
        )

    async def _try(self) -> bool:
        try:
            await self._claim_committed_once()
        except Exception as error:  # whatever failed (ingest, PostgreSQL), it is tried again
            log.warning(
                "claiming the committed identities again failed",
                account_id=self.account_id,
                customer_id=str(self.customer_id),
                error=repr(error),
            )
            return False
        return True

    async def _claim_committed_once(self) -> None:
        account_id, customer_id = self.account_id, self.customer_id
        async with self.pool.acquire() as conn, conn.transaction():
            await repository.lock_id(conn, account_id, customer_id)
            current = await repository.get(conn, account_id, customer_id, lock=True)
            # None: a creation that did not commit holds nothing (nor does a customer deleted
            # meanwhile, whose all ingest releases): what was attempted is released.
            committed = complete_set(current) if current is not None else {}
            stray = dropped(committed, self.attempted)
            try:
                await self.claims.claim(account_id, customer_id, committed, stray)
            except Conflict as held:
                # A value the card shows was taken by another customer in between (the failed
                # claim had released it): at least release the attempted values.
                log.warning(
                    "a committed identity is held by another customer",
                    account_id=account_id,
                    customer_id=str(customer_id),
                    holder=held.extra.get("holder_customer_id"),
                )
                if stray:
                    await self.claims.claim(account_id, customer_id, {}, stray)
            except Unprocessable:  # deleted at ingest meanwhile: nothing of theirs is held
                return


class ClaimsOfTransaction:
    """The claims at ingest a change makes inside one transaction: if it then does not commit
    after ingest may have taken one, `kept_in_step` mends ingest's side."""

    def __init__(self, pool: asyncpg.Pool, claims: IngestClaims) -> None:
        self._pool = pool
        self._claims = claims
        self.attempt: Attempt | None = None

    async def claim(self, change: Change) -> None:
        """The change's identities (and releases) for its customer, or Conflict naming the
        holder of one."""
        customer = change.customer
        self.attempt = Attempt(
            self._pool, self._claims, customer.account_id, customer.id, change.identities
        )
        try:
            await self._claims.claim(
                customer.account_id, customer.id, change.identities, change.release
            )
        except (Conflict, Unprocessable):  # refused: ingest changed nothing
            self.attempt = None
            raise


@asynccontextmanager
async def kept_in_step(
    pool: asyncpg.Pool, claims: IngestClaims
) -> AsyncIterator[ClaimsOfTransaction]:
    """Claims for a transaction run inside this block: when the block fails after one may
    have been taken (the commit failing included), the committed identities are claimed again."""
    taken = ClaimsOfTransaction(pool, claims)
    try:
        yield taken
    except BaseException:
        if taken.attempt is not None:
            await taken.attempt.claim_committed()
        raise
