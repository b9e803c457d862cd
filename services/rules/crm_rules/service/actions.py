"""A person's actions on reminders through the API: create, complete, snooze, delete.

Each runs in the caller's transaction, under the customer's lock, and announces its change
through the outbox; the cause is the person's command (its Idempotency-Key when given), at
its time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from crm_rules import repository as repo
from crm_rules.announce import announcement
from crm_rules.policy.decisions import Change, Decision, canceled
from crm_rules.policy.reminder import (
    CANCELED_BY_PERSON,
    Reminder,
    ReminderStatus,
    manual_reminder,
)
from crm_rules.service.reads import ReminderView, views
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause, Command
from crm_schemas.fold import fold
from crm_schemas.system_properties import CompletedBy
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue_applied
from crm_servicekit.problems import Conflict, FieldError, NotFound, Unprocessable


async def create_manual(
    conn: Conn,
    command: Command,
    customer_id: uuid.UUID,
    scheduled_for: datetime,
    message: str | None,
    *,
    topic: str,
) -> ReminderView:
    await repo.lock_customer(conn, command.account_id, customer_id)
    # Another account's customer is refused as ingest refuses it; an id no account has shown
    # yet is taken, since the customer may be moments old (docs/domain.md).
    if await repo.belongs_to_another_account(conn, command.account_id, customer_id):
        raise Unprocessable(
            "Unknown customer.", errors=[FieldError(["body", "customer_id"], "unknown customer")]
        )
    if await repo.is_deleted(conn, command.account_id, customer_id):
        raise NotFound(f"Customer {customer_id} was deleted.")
    history = await repo.events_of(conn, command.account_id, customer_id)
    state = fold(e.fact for e in history if e.fact is not None)
    if state.opted_out:
        raise Conflict(
            "This customer opted out of being contacted: no reminder can be made for them.",
            customer_id=str(customer_id),
        )
    cause = command.cause("reminder_create", EventName.REMINDER_CREATED)
    reminder = manual_reminder(
        command.account_id,
        customer_id,
        cause.event_id,
        scheduled_for,
        message,
        created_at=command.at,
    )
    await _record(conn, Decision(Change.CREATE, reminder), cause, topic)
    return await _view(conn, reminder)


async def complete(
    conn: Conn, command: Command, reminder_id: uuid.UUID, *, topic: str
) -> ReminderView:
    reminder = await _locked(conn, command, reminder_id)
    if reminder.status is ReminderStatus.COMPLETED:
        return await _view(conn, reminder)  # again: 200, unchanged
    if reminder.status is ReminderStatus.CANCELED:
        raise Conflict("This reminder was canceled; it cannot be completed.")
    done = reminder.model_copy(
        update={
            "status": ReminderStatus.COMPLETED,
            "closed_at": command.at,
            "completed_by": CompletedBy.PERSON,
        }
    )
    cause = command.cause(f"reminder_complete:{reminder_id}", EventName.REMINDER_COMPLETED)
    await _record(conn, Decision(Change.COMPLETE, done), cause, topic)
    return await _view(conn, done)


async def snooze(
    conn: Conn, command: Command, reminder_id: uuid.UUID, until: datetime, *, topic: str
) -> ReminderView:
    reminder = await _locked(conn, command, reminder_id)
    if not reminder.is_open:
        raise Conflict(
            f"This reminder is {reminder.status.value}; only an open one can be snoozed."
        )
    moved = reminder.model_copy(update={"scheduled_for": until})
    decision = Decision(Change.RESCHEDULE, moved, previous_scheduled_for=reminder.scheduled_for)
    cause = command.cause(f"reminder_snooze:{reminder_id}", EventName.REMINDER_RESCHEDULED)
    await _record(conn, decision, cause, topic)
    return await _view(conn, moved)


async def cancel(conn: Conn, command: Command, reminder_id: uuid.UUID, *, topic: str) -> None:
    reminder = await _locked(conn, command, reminder_id)
    if reminder.status is ReminderStatus.CANCELED:
        return  # deleting again: 204
    if reminder.status is ReminderStatus.COMPLETED:
        raise Conflict("This reminder is completed; a completed reminder cannot be deleted.")
    gone = canceled(reminder, command.at, CANCELED_BY_PERSON)
    cause = command.cause(f"reminder_cancel:{reminder_id}", EventName.REMINDER_CANCELED)
    await _record(conn, Decision(Change.CANCEL, gone), cause, topic)


async def _locked(conn: Conn, command: Command, reminder_id: uuid.UUID) -> Reminder:
    found = await repo.get_reminder(conn, command.account_id, reminder_id)
    if found is None:
        raise NotFound(f"No reminder {reminder_id}.")
    await repo.lock_customer(conn, command.account_id, found.customer_id)
    # Read again under the lock: the consumer may have changed it meanwhile.
    again = await repo.get_reminder(conn, command.account_id, reminder_id)
    assert again is not None  # reminders are never deleted, only canceled
    return again


async def _record(conn: Conn, decision: Decision, cause: Cause, topic: str) -> None:
    await repo.save_reminders(conn, [decision.reminder])
    event = announcement(decision, cause)
    # Applied here already: the consumer takes it back only into an empty store
    # (policy.restore).
    await enqueue_applied(conn, [event], topic)


async def _view(conn: Conn, reminder: Reminder) -> ReminderView:
    return (await views(conn, reminder.account_id, [reminder]))[0]
