"""Announcing reminders due: REMINDER_DUE once the clock passes an open reminder's time."""

from __future__ import annotations

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
