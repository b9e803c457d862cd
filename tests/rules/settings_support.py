"""A rules store fed as the consumer feeds it, for the settings tests: batches applied in their
own transactions through service.events, and what they stored and announced read back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from crm_rules.service.events import apply_events
from crm_rules.service.replays import KeptReplays
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Accounts

from .history import T0

TOPIC = "rules-settings"


@dataclass(frozen=True)
class Announced:
    event_name: str
    properties: dict[str, Any]


@dataclass
class Store:
    pool: asyncpg.Pool
    accounts: Accounts
    kept: KeptReplays | None

    async def apply(self, *batches: Sequence[EventEnvelope]) -> None:
        for batch in batches:
            async with self.pool.acquire() as conn, conn.transaction():
                await apply_events(
                    conn,
                    batch,
                    accounts=self.accounts,
                    topic=TOPIC,
                    received_at=T0,
                    kept=self.kept,
                )

    async def outbox_mark(self) -> int:
        async with self.pool.acquire() as conn:
            return int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM outbox"))

    async def announced(self, since: int) -> list[Announced]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT event_name, value FROM outbox WHERE id > $1 ORDER BY id", since
            )
        return [Announced(r["event_name"], json.loads(r["value"])["properties"]) for r in rows]

    async def open_reminders(self, customer: uuid.UUID) -> set[tuple[str, str, datetime, str]]:
        """The customer's open reminders as (type, trigger, time, message): the inactivity
        reminder keeps its id when it moves, so ids may differ between arrival orders."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT type, trigger_event_id, scheduled_for, message FROM reminders"
                " WHERE customer_id = $1 AND status = 'open'",
                customer,
            )
        return {tuple(row) for row in rows}  # type: ignore[misc]
