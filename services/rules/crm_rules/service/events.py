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
from crm_rules.repository import CustomerKey
from crm_rules.service.replays import KeptReplay, KeptReplays, as_read_back
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
    kept: KeptReplays | None = None,
) -> int:
    """Apply a batch (inside the caller's transaction); returns how many events were announced.

    With `kept`, a customer's replay kept from an earlier batch is used while it still
    stands for the store, rather than their history read and replayed again."""
    by_customer: dict[CustomerKey, list[EventEnvelope]] = {}
    for event in events:
        if event.customer_id is not None:
            by_customer.setdefault((event.account_id, event.customer_id), []).append(event)
    keys = list(by_customer)
    # A few statements for the whole batch rather than a few per customer.
    await repo.lock_customers(conn, keys)
    found: dict[CustomerKey, KeptReplay | None] = {}
    if kept is not None:
        heads = await repo.heads_of_many(conn, keys)
        found = {key: kept.take(key, heads.get(key)) for key in keys}
    missing = [key for key in keys if found.get(key) is None]
    histories = await repo.events_of_many(conn, missing) if missing else {}
    reminders = await repo.reminders_of_many(conn, missing) if missing else {}
    fresh: list[tuple[CustomerKey, list[CustomerEvent]]] = []
    changed: list[Reminder] = []
    outgoing: list[EventEnvelope] = []
    keeping: list[tuple[CustomerKey, Effects]] = []
    for key, group in by_customer.items():
        account = accounts.get(key[0])
        if account is None:
            raise PermanentEventError(f"account {key[0]!r} is not in the accounts file")
        start = found.get(key)
        if start is None:
            replay = CustomerReplay(account, key[1], histories[key], reminders[key])
            stored = {r.id: r for r in reminders[key]}
        else:
            replay, stored = start.replay, dict(start.stored)
        effects = _apply_customer(account, key[1], replay, stored, group, received_at)
        fresh.append((key, effects.fresh))
        changed += effects.changed
        outgoing += effects.outgoing
        keeping.append((key, effects))
    await repo.add_events_of_many(conn, fresh)
    await repo.save_reminders(conn, changed)
    announced = await enqueue(conn, outgoing, topic)
    if kept is not None:
        fitting = [(key, e) for key, e in keeping if e.replay.fits(e.changed)]
        # The heads this transaction's writes left (the triggers renewed them).
        heads = await repo.heads_of_many(conn, [key for key, _ in fitting]) if fitting else {}
        for key, effects in fitting:
            stored = {**effects.stored, **{r.id: as_read_back(r) for r in effects.changed}}
            kept.keep(key, KeptReplay(heads.get(key), effects.replay, stored))
    return announced


@dataclass
class Effects:
    fresh: list[CustomerEvent]
    changed: list[Reminder]
    outgoing: list[EventEnvelope]
    # The replay after the customer's events and the reminders stored before them.
    replay: CustomerReplay
    stored: dict[uuid.UUID, Reminder]


def _apply_customer(
    account: Account,
    customer_id: uuid.UUID,
    replay: CustomerReplay,
    stored: dict[uuid.UUID, Reminder],
    group: Sequence[EventEnvelope],
    received_at: datetime,
) -> Effects:
    """One customer's new events, each replayed with the history before it (pure, but for
    `replay` and `stored`, which it brings up to date)."""
    account_id = account.account_id
    before = dict(stored)
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
            if replay.knows(envelope.event_id):
                continue
            event = CustomerEvent.from_envelope(envelope)
            fresh.append(event)
            intended = replay.add(event)
            decisions = decide(account_id, customer_id, intended, stored, envelope.timestamp)
        for decision in decisions:
            stored[decision.reminder.id] = changed[decision.reminder.id] = decision.reminder
            outgoing.append(announcement(decision, cause))
    return Effects(fresh, list(changed.values()), outgoing, replay, before)
