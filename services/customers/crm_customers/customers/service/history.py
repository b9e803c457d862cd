"""Adding an entry to a customer's stored history, for the consumer and a rebuild: on top,
or re-folded from the stored entries when it is late."""

from __future__ import annotations

from collections.abc import Sequence

from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.history import Entry, replay
from crm_customers.customers.repository import facts
from crm_servicekit.connection import Conn


async def with_entry(conn: Conn, customer: Customer, entry: Entry) -> Customer | None:
    """The customer after one more entry; None when that entry is stored already."""
    if not await facts.add_entry(conn, customer.account_id, customer.id, entry):
        return None
    return await evolved(conn, customer, entry)


async def evolved(
    conn: Conn, customer: Customer, entry: Entry, unwritten: Sequence[Entry] = ()
) -> Customer:
    """The customer after a new entry. A late one re-folds the stored entries and those not
    written yet (`unwritten`, which includes it when it is not stored either)."""
    if customer.history.is_late(entry):
        stored = await facts.entries(conn, customer.account_id, customer.id)
        history = replay([*stored, *unwritten])
    else:
        history = customer.history.then(entry)
    return customer.model_copy(update={"history": history}).touched(entry.timestamp)
