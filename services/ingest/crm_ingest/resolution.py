"""Customer resolution (DOMAIN.md, customers and identity): which customer an event is about.

The highest-priority identity already linked decides; else the customer id given; else a new
customer. Identities not linked yet are linked to that customer; one linked elsewhere stays
where it is (logged and counted). Decided in memory over one read of every identity a
request names, so a batch takes a few statements, and events of one batch sharing an
identity resolve to one customer, in input order. Concurrent first links meet on the
identities' unique index: the loser gets `LostRace`, and the caller runs its transaction
again, now seeing the winner's links, so both resolve to one customer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

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


class DeletedCustomer(Exception):
    pass


class UnknownCustomer(Exception):
    """A customer id known to belong to another account."""


class LostRace(Exception):
    """Another transaction linked one of the identities first; run the transaction again."""


Wanted = tuple[UUID | None, Sequence[Identity]]
Resolved = UUID | DeletedCustomer | UnknownCustomer


async def resolve_all(
    conn: Conn, account_id: str, wanted: Sequence[Wanted], now: datetime
) -> list[Resolved]:
    # One not known yet is taken for this account: the customers service may have created it
    # a moment ago (API.md, customer resolution).
    given = [customer for customer, _ in wanted if customer is not None]
    deleted = await repo.deleted_among(conn, account_id, given) if given else set()
    owners = await repo.remember_customers(conn, account_id, given, now) if given else {}
    everything = sorted({identity for _, identities in wanted for identity in identities})
    known = await repo.linked_customers(conn, account_id, everything)
    links: dict[Identity, UUID] = {}
    created: list[UUID] = []
    resolved: list[Resolved] = []
    conflicts = 0
    for customer_id, identities in wanted:
        if customer_id is not None and customer_id in deleted:
            resolved.append(DeletedCustomer(str(customer_id)))
            continue
        if customer_id is not None and owners.get(customer_id, account_id) != account_id:
            resolved.append(UnknownCustomer(str(customer_id)))
            continue
        linked = [identity for identity in identities if identity in known]
        if customer_id is not None:
            chosen = customer_id
        elif linked:
            chosen = known[min(linked)]  # IdentityKind orders by priority
        else:
            chosen = uuid.uuid4()
            created.append(chosen)
        conflicts += sum(known[identity] != chosen for identity in linked)
        for identity in identities:
            if identity not in known:
                known[identity] = links[identity] = chosen
        resolved.append(chosen)
    won = await repo.link_each(conn, account_id, links, now)
    if len(won) != len(links):
        raise LostRace
    if created:
        await repo.record_new_customers(conn, account_id, created, now)
    if conflicts:
        IDENTITY_CONFLICTS.inc(conflicts)
        log.warning("identities stay with another customer", account_id=account_id, count=conflicts)
    return resolved
