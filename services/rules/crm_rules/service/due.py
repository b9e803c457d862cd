"""Announcing reminders due: REMINDER_DUE once the clock passes an open reminder's time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_rules import repository as repo
from crm_rules.announce import due_notice
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue


async def announce_due(conn: Conn, now: datetime, *, topic: str, batch: int) -> int:
    """In the caller's transaction: claim up to `batch` due reminders (another replica skips
    them), write their REMINDER_DUE to the outbox and mark them notified. Returns how many."""
    due = await repo.claim_due(conn, now, batch)
    if not due:
        return 0
    await enqueue(conn, [due_notice(r, received_at=now) for r in due], topic)
    await repo.mark_notified(conn, due)
    return len(due)


@dataclass(frozen=True)
class DueBacklog:
    """Reminders due and not announced yet: what the scheduler has still to do."""

    reminders: int
    oldest_late_s: float  # how long past its time the oldest of them is (0 when none)


async def due_backlog(conn: Conn, now: datetime) -> DueBacklog:
    count, oldest = await repo.due_unannounced(conn, now)
    late = (now - oldest).total_seconds() if oldest is not None else 0.0
    return DueBacklog(reminders=count, oldest_late_s=max(0.0, late))
