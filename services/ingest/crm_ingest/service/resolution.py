"""Resolving the customers of a request's events: one read, the decision (policy), the links.

Concurrent first links meet on the identities' unique index: the loser gets `LostRace`, and
the caller runs its transaction again, now seeing the winner's links, so both resolve to one
customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from prometheus_client import Counter

from crm_ingest import repository
from crm_ingest.policy.identities import kind_label
from crm_ingest.policy.resolution import Known, Resolution, Wanted, resolve
from crm_servicekit.connection import Conn

log = structlog.get_logger(__name__)

IDENTITY_CONFLICTS = Counter(
    "crm_ingest_identity_conflicts",
    "Identities an event names that stay linked to another customer than the one resolved.",
)

IDENTITIES_NOT_LINKED = Counter(
    "crm_ingest_identities_not_linked",
    "Identities an event names that were not linked because its customer holds another value"
    " of that kind (one email, one phone and one handle per platform per customer).",
    ["kind"],
)


class LostRace(Exception):
    """Another transaction linked one of the identities first; run the transaction again."""


async def resolve_all(
    conn: Conn, account_id: str, wanted: Sequence[Wanted], now: datetime
) -> Resolution:
    """The customer of each wanted event, and the identities of it linked to that customer."""
    # One not known yet is taken for this account: the customers service may have created it
    # a moment ago (docs/architecture.md, ingest).
    given = [want.customer_id for want in wanted if want.customer_id is not None]
    deleted = await repository.deleted_among(conn, account_id, given) if given else set()
    owners = await repository.remember_customers(conn, account_id, given, now) if given else {}
    everything = sorted({identity for want in wanted for identity in want.identities})
    linked = await repository.linked_customers(conn, account_id, everything)
    references = [want.reference for want in wanted if want.reference is not None]
    live = (
        await repository.live_customers_among(conn, account_id, references) if references else set()
    )
    followed = sorted({want.follows for want in wanted if want.follows is not None})
    bookings = (
        await repository.live_booking_customers(conn, account_id, followed) if followed else {}
    )
    # A customer an event may be resolved to: one it names, refers to, whose booking it
    # follows, or who holds an identity of it.
    concerned = [*given, *linked.values(), *live, *bookings.values()]
    held = await repository.held_by(conn, account_id, concerned)
    known = Known(deleted, owners, linked, frozenset(live), held, bookings)
    resolution = resolve(account_id, wanted, known)
    won = await repository.link_each(conn, account_id, resolution.links, now)
    if len(won) != len(resolution.links):
        raise LostRace
    if resolution.bookings:
        await repository.record_booking_customers(conn, account_id, resolution.bookings, now)
    if resolution.created:
        await repository.record_new_customers(conn, account_id, resolution.created, now)
    if resolution.conflicts:
        IDENTITY_CONFLICTS.inc(resolution.conflicts)
        log.warning(
            "identities stay with another customer",
            account_id=account_id,
            count=resolution.conflicts,
        )
    for slot in resolution.refused:
        IDENTITIES_NOT_LINKED.labels(kind_label(slot)).inc()
    if resolution.refused:
        log.info(
            "identities not linked: the customer holds another value of that kind",
            account_id=account_id,
            slots=resolution.refused,
        )
    return resolution
