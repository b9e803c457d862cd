"""Customer resolution (docs/domain.md, customers and identity): which customer an event is
about.

The customer id given decides (unless deleted, or known from another account); else a booking
link's reference to a live customer of the account; else, for a booking tool's later event (a
cancellation, a no-show, a reschedule), the live customer its booking was resolved to; else the
highest-priority identity already linked; else a new customer. Identities not linked yet are
linked to that customer, but for one value of each kind (an email, a phone, a handle per
platform): another one of a kind the customer holds is not linked (counted). One linked
elsewhere stays where it is (counted as a conflict).
Decided over one read of every identity a request names, so events of one batch sharing an
identity resolve to one customer, in input order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from crm_ingest.policy.identities import Identity, one_of_each_kind


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
    # The booking-tool booking this event belongs to (its cancellation, no-show or reschedule
    # follows the booking's customer: docs/connectors.md), and the booking it makes, whose
    # customer is remembered for those later events.
    follows: str | None = None
    books: str | None = None


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
    # What the customers concerned hold of the kinds held once (an email, a phone, a handle
    # per platform), by customer.
    held: Mapping[UUID, frozenset[Identity]] = field(default_factory=dict)
    # The live customer of each booking the events follow that ingest knows.
    bookings: Mapping[str, UUID] = field(default_factory=dict)


@dataclass
class Resolution:
    resolved: list[Resolved] = field(default_factory=list)
    # The identities to link now, each to its customer.
    links: dict[Identity, UUID] = field(default_factory=dict)
    created: list[UUID] = field(default_factory=list)
    # Identities named that stay linked to another customer than the one resolved.
    conflicts: int = 0
    # Per event, in order: its identities linked to its customer after it (empty if refused).
    holding: list[frozenset[Identity]] = field(default_factory=list)
    # The slots (email, phone, handle:<platform>) of values not linked because the customer
    # holds another value of that kind, one per event and slot.
    refused: list[str] = field(default_factory=list)
    # The bookings made, each with the customer it resolved to, to remember.
    bookings: dict[str, UUID] = field(default_factory=dict)


def resolve(
    account_id: str,
    wanted: Sequence[Wanted],
    known: Known,
    new_customer_id: Callable[[], UUID] = uuid.uuid4,
) -> Resolution:
    """The customer of each (customer id, identities) in order; later ones see earlier links."""
    linked = dict(known.linked)
    bookings = dict(known.bookings)
    held: dict[UUID, set[Identity]] = {}
    resolution = Resolution()
    for want in wanted:
        customer_id, identities = want.customer_id, want.identities
        if customer_id is None and want.reference in known.live_references:
            customer_id = want.reference
        if customer_id is None and want.follows is not None:
            customer_id = bookings.get(want.follows)
        if customer_id is not None and customer_id in known.deleted:
            resolution.resolved.append(DeletedCustomer(str(customer_id)))
            resolution.holding.append(frozenset())
            continue
        if customer_id is not None and known.owners.get(customer_id, account_id) != account_id:
            resolution.resolved.append(UnknownCustomer(str(customer_id)))
            resolution.holding.append(frozenset())
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
        holds = held.setdefault(chosen, set(known.held.get(chosen, ())))
        linkable = one_of_each_kind(holds, [i for i in identities if i not in linked])
        for identity in linkable.identities:
            linked[identity] = resolution.links[identity] = chosen
        holds.update(linkable.identities)
        resolution.refused.extend(sorted(linkable.refused))
        if want.books is not None and want.books not in bookings:
            bookings[want.books] = resolution.bookings[want.books] = chosen
        resolution.resolved.append(chosen)
        resolution.holding.append(frozenset(i for i in identities if linked.get(i) == chosen))
    return resolution
