"""Resolution of many events in a few statements (batches, and single events alike).

The same rules as resolution.py, decided in memory over one read of every identity named:
events of one batch that share an identity resolve to one customer, in input order. When a
concurrent transaction linked one of the identities in between, `LostRace` is raised; the
caller rolls back to its savepoint and resolves one event at a time instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from crm_ingest import repository as repo
from crm_ingest.identities import Identity
from crm_ingest.resolution import IDENTITY_CONFLICTS, DeletedCustomer, UnknownCustomer, log
from crm_servicekit.connection import Conn


class LostRace(Exception):
    pass


Wanted = tuple[UUID | None, Sequence[Identity]]
Resolved = UUID | DeletedCustomer | UnknownCustomer


async def resolve_all(
    conn: Conn, account_id: str, wanted: Sequence[Wanted], now: datetime
) -> list[Resolved]:
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
        await repo.remember_customers(conn, account_id, created, now)
    if conflicts:
        IDENTITY_CONFLICTS.inc(conflicts)
        log.warning("identities stay with another customer", account_id=account_id, count=conflicts)
    return resolved
