"""The customers one consumed batch touches: read and locked together, saved once each.

Reading and writing a customer's row for every event was the consumer's largest cost (two
round trips per event). A batch now reads every customer it names in one statement, in one
lock order, applies its events to them in memory and in topic order, and writes each
changed customer once at the end, in the batch's transaction, before its announcements.
Code that writes customers directly (deletion, the rebuild's restores) first hands back
what is held here, so the database and this copy never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.repository import customers as repository
from crm_servicekit.connection import Conn

Key = tuple[str, UUID]  # (account_id, customer id)


class BatchCustomers:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn
        self._held: dict[Key, Customer | None] = {}  # None: no such customer when read
        self._changed: dict[Key, Customer] = {}

    async def load(self, keys: Iterable[Key]) -> None:
        """Read (and lock) the customers not held yet; absent ones are held as None."""
        wanted = [key for key in set(keys) if key not in self._held]
        found = await repository.get_many(self._conn, wanted)
        for key in wanted:
            self._held[key] = found.get(key)

    async def get(self, account_id: str, customer_id: UUID) -> Customer | None:
        key = (account_id, customer_id)
        if key not in self._held:
            await self.load([key])
        return self._held[key]

    async def reread(self, account_id: str, customer_id: UUID) -> Customer | None:
        """Read again from the database: another transaction created the customer meanwhile."""
        self._held.pop((account_id, customer_id), None)
        return await self.get(account_id, customer_id)

    def put(self, customer: Customer) -> None:
        key = (customer.account_id, customer.id)
        self._held[key] = self._changed[key] = customer

    async def hand_back(self) -> None:
        """Save what changed and forget everything held, before writing customers directly."""
        await self.save()
        self._held.clear()

    async def save(self) -> None:
        await repository.save_many(self._conn, list(self._changed.values()))  # it sorts them
        self._changed.clear()
