"""Customer resolution (docs/domain.md, customers and identity): which customer an event is
about.

The customer id given decides (unless deleted, or known from another account); else a booking
link's reference to a live customer of the account; else the highest-priority identity already
linked; else a new customer. Identities not linked yet are
linked to that customer; one linked elsewhere stays where it is (counted as a conflict).
Decided over one read of every identity a request names, so events of one batch sharing an
identity resolve to one customer, in input order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from crm_ingest.policy.identities import Identity


class DeletedCustomer(Exception):
    pass


class UnknownCustomer(Exception):
    """A customer id known to belong to another account."""


@dataclass(frozen=True)
class Wanted:
    customer_id: UUID | None
    identities: Sequence[Identity]
    # A booking link's customer reference: taken only when it names a live customer of the
    # account (docs/connectors.md, booking tools); anything else is ignored.
    reference: UUID | None = None


Resolved = UUID | DeletedCustomer | UnknownCustomer


@dataclass(frozen=True)
class Known:
    """What the database says about the customers and identities a request names."""

    deleted: set[UUID]
    # The account each given customer id belongs to.
    owners: Mapping[UUID, str]
    linked: Mapping[Identity, UUID]
    # The references that name a live customer of the account.
    live_references: frozenset[UUID] = frozenset()


@dataclass
class Resolution:
    resolved: list[Resolved] = field(default_factory=list)
    # The identities to link now, each to its customer.
    links: dict[Identity, UUID] = field(default_factory=dict)
    created: list[UUID] = field(default_factory=list)
    # Identities named that stay linked to another customer than the one resolved.
    conflicts: int = 0


def resolve(
    account_id: str,
    wanted: Sequence[Wanted],
    known: Known,
    new_customer_id: Callable[[], UUID] = uuid.uuid4,
) -> Resolution:
    """The customer of each (customer id, identities) in order; later ones see earlier links."""
    linked = dict(known.linked)
    resolution = Resolution()
    for want in wanted:
        customer_id, identities = want.customer_id, want.identities
        if customer_id is None and want.reference in known.live_references:
            customer_id = want.reference
        if customer_id is not None and customer_id in known.deleted:
            resolution.resolved.append(DeletedCustomer(str(customer_id)))
            continue
        if customer_id is not None and known.owners.get(customer_id, account_id) != account_id:
            resolution.resolved.append(UnknownCustomer(str(customer_id)))
            continue
        named = [identity for identity in identities if identity in linked]
        if customer_id is not None:
            chosen = customer_id
        elif named:
            chosen = linked[min(named)]  # IdentityKind orders by priority
        else:
            chosen = new_customer_id()
            resolution.created.append(chosen)
        resolution.conflicts += sum(linked[identity] != chosen for identity in named)
        for identity in identities:
            if identity not in linked:
                linked[identity] = resolution.links[identity] = chosen
        resolution.resolved.append(chosen)
    return resolution
