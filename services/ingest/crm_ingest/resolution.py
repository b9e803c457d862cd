"""Customer resolution (DOMAIN.md, customers and identity): which customer an event is about.

The highest-priority identity already linked decides; else the customer id given; else a new
customer. Identities not linked yet are linked to that customer; one linked elsewhere stays
where it is (logged and counted). Concurrent first links meet on the identities' unique
index: the loser rolls its savepoint back and re-reads, so both resolve to one customer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg
import structlog
from prometheus_client import Counter

from crm_ingest import repository as repo
from crm_ingest.identities import Identity
from crm_servicekit.connection import Conn

log = structlog.get_logger(__name__)

IDENTITY_CONFLICTS = Counter(
    "crm_ingest_identity_conflicts",
    "Identities an event names that stay linked to another customer than the one resolved.",
)
_RACE_ATTEMPTS = 5


class DeletedCustomer(Exception):
    pass


class UnknownCustomer(Exception):
    """A customer id known to belong to another account."""


class _LostRace(Exception):
    pass


async def resolve_customer(
    conn: Conn,
    account_id: str,
    customer_id: UUID | None,
    identities: Sequence[Identity],
    now: datetime,
) -> UUID:
    """Resolve and link, inside the caller's transaction."""
    if customer_id is not None:
        await _check_given(conn, account_id, customer_id, now)
        linked = await repo.linked_customers(conn, account_id, identities)
        await _link_rest(conn, account_id, identities, linked, customer_id, now)
        return customer_id
    for _ in range(_RACE_ATTEMPTS):
        linked = await repo.linked_customers(conn, account_id, identities)
        if linked:
            chosen = linked[min(linked)]  # IdentityKind orders by priority
            await _link_rest(conn, account_id, identities, linked, chosen, now)
            return chosen
        candidate = uuid.uuid4()
        try:
            async with conn.transaction():  # a savepoint, undone when another link won
                won = await repo.link_identities(conn, account_id, identities, candidate, now)
                if len(won) != len(set(identities)):
                    raise _LostRace
                await repo.remember_customer(conn, account_id, candidate, now)
            return candidate
        except _LostRace:
            continue
    raise asyncpg.SerializationError("identity resolution kept losing races; retry the request")


async def _check_given(conn: Conn, account_id: str, customer_id: UUID, now: datetime) -> None:
    if await repo.is_deleted(conn, account_id, customer_id):
        raise DeletedCustomer(str(customer_id))
    # One not known yet is taken for this account: the customers service may have created it
    # a moment ago (API.md, customer resolution).
    owner = await repo.remember_customer(conn, account_id, customer_id, now)
    if owner != account_id:
        raise UnknownCustomer(str(customer_id))


async def _link_rest(
    conn: Conn,
    account_id: str,
    identities: Sequence[Identity],
    linked: dict[Identity, UUID],
    customer_id: UUID,
    now: datetime,
) -> None:
    unlinked = [identity for identity in identities if identity not in linked]
    won = await repo.link_identities(conn, account_id, unlinked, customer_id, now)
    elsewhere = [i for i, holder in linked.items() if holder != customer_id]
    elsewhere += [i for i in unlinked if i not in won]  # linked concurrently by another event
    if elsewhere:
        IDENTITY_CONFLICTS.inc(len(elsewhere))
        log.warning(
            "identities stay with another customer",
            account_id=account_id,
            customer_id=str(customer_id),
            identities=[identity.kind.label for identity in elsewhere],
        )
