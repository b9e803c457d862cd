"""A change's identities at ingest, kept in step with the card when the change's own commit
fails after ingest took its claim (docs/domain.md, changing an identity).

The committed set is read again under the customer's row lock, the lock a person's change
holds while it claims, so no later change's claim can be overwritten by this one. Ingest or
PostgreSQL may be away at that moment (often the reason the commit failed): it is tried once
in the request, then a few times in the background over about 40 seconds, then logged and
counted; the customer's next change of an identity claims the complete set again, which puts
ingest right for every kind the card holds.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from prometheus_client import Counter

from crm_customers.customers.claims import IdentityClaims
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


async def claim_committed(
    pool: asyncpg.Pool,
    claims: IdentityClaims,
    account_id: str,
    customer_id: UUID,
    attempted: dict[str, Any],
) -> None:
    """Claim the customer's committed set again, releasing what was `attempted` beyond it:
    once now, then, if that fails, again in the background a few times."""
    if await _try(pool, claims, account_id, customer_id, attempted):
        return
    task = asyncio.create_task(_retry(pool, claims, account_id, customer_id, attempted))
    _RETRYING.add(task)
    task.add_done_callback(_RETRYING.discard)


async def _retry(
    pool: asyncpg.Pool,
    claims: IdentityClaims,
    account_id: str,
    customer_id: UUID,
    attempted: dict[str, Any],
) -> None:
    for delay in _RETRY_DELAYS_S:
        await asyncio.sleep(delay)
        if await _try(pool, claims, account_id, customer_id, attempted):
            return
    RECLAIMS_FAILED.inc()
    log.error(
        "ingest may hold identities the card does not show until the next change",
        account_id=account_id,
        customer_id=str(customer_id),
    )


async def _try(
    pool: asyncpg.Pool,
    claims: IdentityClaims,
    account_id: str,
    customer_id: UUID,
    attempted: dict[str, Any],
) -> bool:
    try:
        await _claim_committed_once(pool, claims, account_id, customer_id, attempted)
    except Exception as error:  # whatever failed (ingest, PostgreSQL), it is tried again
        log.warning(
            "claiming the committed identities again failed",
            account_id=account_id,
            customer_id=str(customer_id),
            error=repr(error),
        )
        return False
    return True


async def _claim_committed_once(
    pool: asyncpg.Pool,
    claims: IdentityClaims,
    account_id: str,
    customer_id: UUID,
    attempted: dict[str, Any],
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        current = await repository.get(conn, account_id, customer_id, lock=True)
        if current is None:  # deleted meanwhile: ingest releases a deleted customer's all
            return
        committed = complete_set(current)
        stray = dropped(committed, attempted)
        try:
            await claims.claim(account_id, customer_id, committed, stray)
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
                await claims.claim(account_id, customer_id, {}, stray)
        except Unprocessable:  # deleted at ingest meanwhile: nothing of theirs is held
            return
