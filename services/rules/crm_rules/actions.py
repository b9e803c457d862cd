"""A person's actions on reminders through the API: create, complete, snooze, delete.

Each runs in the caller's transaction, under the customer's lock, and announces its change
through the outbox; the cause is the request (its Idempotency-Key when given), at its time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_rules import repository as repo
from crm_rules.announce import announcement
from crm_rules.decisions import Change, Decision, canceled
from crm_rules.reminder import CANCELED_BY_PERSON, Reminder, ReminderStatus, manual_reminder
from crm_schemas.fold import fold
from crm_schemas.ids import api_action_id
from crm_schemas.system_properties import CompletedBy
from crm_servicekit.connection import Conn
from crm_servicekit.idempotency_store import mark_processed
from crm_servicekit.outbox import enqueue
from crm_servicekit.problems import Conflict, NotFound

MAX_AHEAD = timedelta(days=365)


@dataclass(frozen=True)
class Request:
    """Who asks, when, and the request's own key (for deterministic ids on a retry)."""

    account_id: str
    user_id: str
    at: datetime
    idempotency_key: str | None
    topic: str


async def create_manual(
    conn: Conn, req: Request, customer_id: uuid.UUID, scheduled_for: datetime, message: str | None
) -> Reminder:
    await repo.lock_customer(conn, req.account_id, customer_id)
    if await repo.is_deleted(conn, req.account_id, customer_id):
        raise NotFound(f"Customer {customer_id} was deleted.")
    history = await repo.events_of(conn, req.account_id, customer_id)
    state = fold(e.fact for e in history if e.fact is not None)
    if state.opted_out:
        raise Conflict(
            "This customer opted out of being contacted: no reminder can be made for them.",
            customer_id=str(customer_id),
        )
    cause = str(api_action_id(req.account_id, req.idempotency_key, "reminder_create"))
    reminder = manual_reminder(
        req.account_id, customer_id, cause, scheduled_for, message, created_at=req.at
    )
    await _record(conn, req, Decision(Change.CREATE, reminder), cause)
    return reminder


async def complete(conn: Conn, req: Request, reminder_id: uuid.UUID) -> Reminder:
    reminder = await _locked(conn, req, reminder_id)
    if reminder.status is ReminderStatus.COMPLETED:
        return reminder  # again: 200, unchanged
    if reminder.status is ReminderStatus.CANCELED:
        raise Conflict("This reminder was canceled; it cannot be completed.")
    done = reminder.model_copy(
        update={
            "status": ReminderStatus.COMPLETED,
            "closed_at": req.at,
            "completed_by": CompletedBy.PERSON,
        }
    )
    await _record(conn, req, Decision(Change.COMPLETE, done), _cause(req, "complete", reminder_id))
    return done


async def snooze(conn: Conn, req: Request, reminder_id: uuid.UUID, until: datetime) -> Reminder:
    reminder = await _locked(conn, req, reminder_id)
    if not reminder.is_open:
        raise Conflict(
            f"This reminder is {reminder.status.value}; only an open one can be snoozed."
        )
    moved = reminder.model_copy(update={"scheduled_for": until})
    decision = Decision(Change.RESCHEDULE, moved, previous_scheduled_for=reminder.scheduled_for)
    await _record(conn, req, decision, _cause(req, "snooze", reminder_id))
    return moved


async def cancel(conn: Conn, req: Request, reminder_id: uuid.UUID) -> Reminder:
    reminder = await _locked(conn, req, reminder_id)
    if reminder.status is ReminderStatus.CANCELED:
        return reminder  # deleting again: 204
    if reminder.status is ReminderStatus.COMPLETED:
        raise Conflict("This reminder is completed; a completed reminder cannot be deleted.")
    gone = canceled(reminder, req.at, CANCELED_BY_PERSON)
    await _record(conn, req, Decision(Change.CANCEL, gone), _cause(req, "cancel", reminder_id))
    return gone


async def _locked(conn: Conn, req: Request, reminder_id: uuid.UUID) -> Reminder:
    found = await repo.get_reminder(conn, req.account_id, reminder_id)
    if found is None:
        raise NotFound(f"No reminder {reminder_id}.")
    await repo.lock_customer(conn, req.account_id, found.customer_id)
    # Read again under the lock: the consumer may have changed it meanwhile.
    again = await repo.get_reminder(conn, req.account_id, reminder_id)
    assert again is not None  # reminders are never deleted, only canceled
    return again


def _cause(req: Request, kind: str, reminder_id: uuid.UUID) -> str:
    return str(api_action_id(req.account_id, req.idempotency_key, f"reminder_{kind}:{reminder_id}"))


async def _record(conn: Conn, req: Request, decision: Decision, cause: str) -> None:
    await repo.save_reminders(conn, [decision.reminder])
    event = announcement(
        decision, cause_event_id=cause, at=req.at, received_at=req.at, actor_id=req.user_id
    )
    await enqueue(conn, [event], req.topic)
    # Applied here already: the consumer takes it back only into an empty store (restore.py).
    await mark_processed(conn, [event])
