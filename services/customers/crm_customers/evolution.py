"""Adding an entry to a customer's stored history: on top, or re-folded when it is late."""

from __future__ import annotations

from crm_customers import repository
from crm_customers.history import Entry, replay
from crm_customers.records import Customer
from crm_servicekit.connection import Conn


async def with_entry(conn: Conn, customer: Customer, entry: Entry) -> Customer | None:
    """The customer after one more entry; None when that entry is stored already."""
    if not await repository.add_entry(conn, customer.account_id, customer.id, entry):
        return None
    if customer.history.is_late(entry):
        history = replay(await repository.entries(conn, customer.account_id, customer.id))
    else:
        history = customer.history.then(entry)
    return customer.model_copy(update={"history": history}).touched(entry.timestamp)
