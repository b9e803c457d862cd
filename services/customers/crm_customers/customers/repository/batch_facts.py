"""The facts one consumed batch stores: which are stored already (one read at the start), and
the new ones written together (one insert) instead of a round trip per fact.

Storing a fact was the consumer's last statement per event: its answer (stored already or
new) decided whether the fact applied, so each waited for the one before. The batch now reads
which of its facts are stored already, applies the others in memory, and writes them at its
end, in its transaction. A late fact re-folds from the stored entries plus those the batch
has not written yet. Before code that writes the database directly (deletion, the rebuild's
restores, interactions), the batch writes what it holds and stops trusting its read: from
there on each fact asks the database again, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from crm_customers.customers.policy.history import Entry
from crm_customers.customers.repository import facts as repository
from crm_servicekit.connection import Conn

FactKey = tuple[str, UUID, str]  # (account_id, customer id, event_id)


class BatchFacts:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn
        self._stored: set[FactKey] | None = set()  # None: not trusted, ask the database
        self._unwritten: dict[tuple[str, UUID], list[Entry]] = {}

    async def load(self, keys: Iterable[FactKey]) -> None:
        """Read which of these facts are stored already."""
        if self._stored is not None:
            self._stored |= await repository.stored_facts(self._conn, list(keys))

    @property
    def trusted(self) -> bool:
        return self._stored is not None

    def is_stored(self, account_id: str, customer_id: UUID, event_id: str) -> bool:
        assert self._stored is not None
        return (account_id, customer_id, event_id) in self._stored

    def add(self, account_id: str, customer_id: UUID, entry: Entry) -> None:
        assert self._stored is not None
        self._stored.add((account_id, customer_id, entry.event_id))
        self._unwritten.setdefault((account_id, customer_id), []).append(entry)

    def unwritten(self, account_id: str, customer_id: UUID) -> list[Entry]:
        return self._unwritten.get((account_id, customer_id), [])

    async def save(self) -> None:
        rows = [(a, c, entry) for (a, c), entries in self._unwritten.items() for entry in entries]
        await repository.add_entries(self._conn, rows)
        self._unwritten.clear()

    async def hand_back(self) -> None:
        """Write what is held and ask the database from now on (direct writes follow)."""
        await self.save()
        self._stored = None
