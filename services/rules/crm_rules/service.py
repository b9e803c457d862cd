"""Applying consumed events: each customer's history replayed, the differences announced."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from crm_rules import repository as repo
from crm_rules.announce import announcement
from crm_rules.customer_event import CustomerEvent
from crm_rules.decisions import Decision, cancel_all, decide
from crm_rules.policy import intended_reminders
from crm_rules.reminder import Reminder
from crm_schemas.catalog import EXTERNAL_EVENTS, EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.failures import PermanentEventError
from crm_servicekit.outbox import enqueue

# The facts from outside, the person's moves and stage entries, activity from interactions,
# and deletions.
CONSUMED: frozenset[str] = frozenset(
    name.value
    for name in (
        *EXTERNAL_EVENTS,
        EventName.STATUS_CHANGED,
        EventName.INTERACTION_LOGGED,
        EventName.CUSTOMER_DELETED,
    )
)


async def apply_events(
    conn: Conn,
    events: Sequence[EventEnvelope],
    *,
    accounts: Accounts,
    topic: str,
    received_at: datetime,
) -> int:
    """Apply a batch (inside the caller's transaction); returns how many events were announced."""
    by_customer: dict[tuple[str, uuid.UUID], list[EventEnvelope]] = {}
    for event in events:
        if event.customer_id is not None:
            by_customer.setdefault((event.account_id, event.customer_id), []).append(event)
    announced = 0
    for (account_id, customer_id), group in by_customer.items():
        account = accounts.get(account_id)
        if account is None:
            raise PermanentEventError(f"account {account_id!r} is not in the accounts file")
        outgoing = await _apply_customer(conn, account, customer_id, group, received_at)
        announced += await enqueue(conn, outgoing, topic)
    return announced


async def _apply_customer(
    conn: Conn,
    account: Account,
    customer_id: uuid.UUID,
    group: Sequence[EventEnvelope],
    received_at: datetime,
) -> list[EventEnvelope]:
    account_id = account.account_id
    await repo.lock_customer(conn, account_id, customer_id)
    known = await repo.events_of(conn, account_id, customer_id)
    known_ids = {e.event_id for e in known}
    stored = {r.id: r for r in await repo.reminders_of(conn, account_id, customer_id)}
    fresh: list[CustomerEvent] = []
    changed: dict[uuid.UUID, Reminder] = {}
    outgoing: list[EventEnvelope] = []
    for envelope in group:
        decisions: list[Decision]
        if envelope.event_name is EventName.CUSTOMER_DELETED:
            decisions = cancel_all(stored.values(), envelope.timestamp, "deleted")
        else:
            if envelope.event_id in known_ids:
                continue
            event = CustomerEvent.from_envelope(envelope)
            known.append(event)
            known_ids.add(event.event_id)
            fresh.append(event)
            intended = intended_reminders(account, customer_id, known, stored.values())
            decisions = decide(account_id, customer_id, intended, stored, envelope.timestamp)
        for decision in decisions:
            stored[decision.reminder.id] = changed[decision.reminder.id] = decision.reminder
            outgoing.append(
                announcement(
                    decision,
                    cause_event_id=envelope.event_id,
                    at=envelope.timestamp,
                    received_at=received_at,
                )
            )
    await repo.add_events(conn, account_id, customer_id, fresh)
    await repo.save_reminders(conn, list(changed.values()))
    return outgoing
