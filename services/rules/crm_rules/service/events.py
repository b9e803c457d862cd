"""Applying consumed events: each customer's history replayed, the differences announced."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crm_rules import repository as repo
from crm_rules.announce import announcement, is_person_action
from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.decisions import Decision, cancel_all, decide
from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay import CustomerReplay
from crm_rules.policy.restore import restored
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.failures import PermanentEventError
from crm_servicekit.outbox import enqueue


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
    keys = list(by_customer)
    # A few statements for the whole batch rather than a few per customer.
    await repo.lock_customers(conn, keys)
    histories = await repo.events_of_many(conn, keys)
    reminders = await repo.reminders_of_many(conn, keys)
    fresh: list[tuple[tuple[str, uuid.UUID], list[CustomerEvent]]] = []
    changed: list[Reminder] = []
    outgoing: list[EventEnvelope] = []
    for key, group in by_customer.items():
        account = accounts.get(key[0])
        if account is None:
            raise PermanentEventError(f"account {key[0]!r} is not in the accounts file")
        effects = _apply_customer(
            account, key[1], histories[key], reminders[key], group, received_at
        )
        fresh.append((key, effects.fresh))
        changed += effects.changed
        outgoing += effects.outgoing
    await repo.add_events_of_many(conn, fresh)
    await repo.save_reminders(conn, changed)
    return await enqueue(conn, outgoing, topic)


@dataclass
class Effects:
    fresh: list[CustomerEvent]
    changed: list[Reminder]
    outgoing: list[EventEnvelope]


def _apply_customer(
    account: Account,
    customer_id: uuid.UUID,
    known: list[CustomerEvent],
    stored_list: list[Reminder],
    group: Sequence[EventEnvelope],
    received_at: datetime,
) -> Effects:
    """One customer's new events, each replayed with the history before it (pure)."""
    account_id = account.account_id
    known_ids = {e.event_id for e in known}
    stored = {r.id: r for r in stored_list}
    replay = CustomerReplay(account, customer_id, known, stored_list)
    fresh: list[CustomerEvent] = []
    changed: dict[uuid.UUID, Reminder] = {}
    outgoing: list[EventEnvelope] = []
    for envelope in group:
        cause = Cause.of_event(envelope, received_at)
        decisions: list[Decision]
        if is_person_action(envelope):
            reminder = restored(envelope, stored)
            if reminder is not None:  # a rebuild: the store gets the action back, unannounced
                stored[reminder.id] = changed[reminder.id] = reminder
                replay = CustomerReplay(account, customer_id, replay.events, stored.values())
            continue
        if envelope.event_name is EventName.CUSTOMER_DELETED:
            decisions = cancel_all(stored.values(), envelope.timestamp, "deleted")
        else:
            if envelope.event_id in known_ids:
                continue
            event = CustomerEvent.from_envelope(envelope)
            known_ids.add(event.event_id)
            fresh.append(event)
            intended = replay.add(event)
            decisions = decide(account_id, customer_id, intended, stored, envelope.timestamp)
        for decision in decisions:
            stored[decision.reminder.id] = changed[decision.reminder.id] = decision.reminder
            outgoing.append(announcement(decision, cause))
    return Effects(fresh, list(changed.values()), outgoing)
