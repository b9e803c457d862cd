"""The reads of a customer's reminders stay on an index after migration 0006 dropped the ones by
(account, customer): each statement the repository sends, explained on a populated table,
scans no reminders sequentially; and they find what they found before."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from crm_rules import repository as repo
from crm_rules.main import MIGRATIONS
from crm_rules.policy.decisions import canceled
from crm_rules.policy.reminder import Reminder, ReminderStatus
from crm_rules.repository import ReminderFilter
from crm_servicekit.connection import Conn
from crm_servicekit.db import apply_migrations_in_thread, create_pool

from .history import T0, H, manual_reminder

CUSTOMERS = 2_000


class Recorded:
    """A connection that keeps each statement it is given (and its arguments)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.statements: list[tuple[str, Sequence[Any]]] = []

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        self.statements.append((query, args))
        return await self.conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> Any:
        self.statements.append((query, args))
        return await self.conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        self.statements.append((query, args))
        return await self.conn.fetchval(query, *args)


def seq_scanned(plan: dict[str, Any]) -> list[str]:
    """The relations a plan reads whole."""
    found = [plan["Relation Name"]] if plan["Node Type"] == "Seq Scan" else []
    for child in plan.get("Plans", []):
        found += seq_scanned(child)
    return found


def customer_reminders(customer: uuid.UUID, account: str) -> list[Reminder]:
    """Three of a customer's reminders: two open, one canceled."""
    made = [
        manual_reminder(T0 + n * H, f"api-{n}", customer=customer, account=account)
        for n in (1, 2, 3)
    ]
    return [*made[:2], canceled(made[2], T0, "person")]


async def test_a_customers_reminders_are_read_through_an_index(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database, max_size=1)
    try:
        customers = [uuid.uuid4() for _ in range(CUSTOMERS)]
        stored = [r for c in customers for r in customer_reminders(c, "acme")]
        elsewhere = customer_reminders(customers[0], "other")  # the same id in another account
        async with pool.acquire() as conn:
            await repo.save_reminders(conn, [*stored, *elsewhere])
            await conn.execute("ANALYZE reminders")
            recorded = Recorded(conn)
            key, other = ("acme", customers[0]), ("acme", customers[1])
            mine = {r.id for r in stored[:3]}
            open_ones = {r.id for r in stored[:2]}

            every = await repo.reminders_of_many(recorded, [key, other])  # type: ignore[arg-type]
            assert {r.id for r in every[key]} == mine
            assert {r.id for r in every[other]} == {r.id for r in stored[3:6]}
            wanted = {key: [stored[2].id]}
            found = await repo.open_reminders_and(recorded, wanted)  # type: ignore[arg-type]
            assert {r.id for r in found[key]} == mine
            only_open = await repo.open_reminders_and(recorded, {key: []})  # type: ignore[arg-type]
            assert {r.id for r in only_open[key]} == open_ones
            listed = await repo.list_reminders(
                recorded,  # type: ignore[arg-type]
                "acme",
                ReminderFilter(customer_id=customers[0], status=ReminderStatus.OPEN),
                limit=10,
            )
            assert {r.id for r in listed} == open_ones
            assert await repo.belongs_to_another_account(recorded, "acme", customers[0])  # type: ignore[arg-type]
            assert not await repo.belongs_to_another_account(recorded, "acme", customers[1])  # type: ignore[arg-type]

            assert len(recorded.statements) == 6
            for query, args in recorded.statements:
                answer = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {query}", *args)
                plan = (
                    json.loads(answer)[0]["Plan"] if isinstance(answer, str) else answer[0]["Plan"]
                )
                assert "reminders" not in seq_scanned(plan), query
    finally:
        await pool.close()
