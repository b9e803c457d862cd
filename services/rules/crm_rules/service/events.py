"""Applying consumed events: each customer's history replayed, the differences announced."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from crm_rules import repository as repo
from crm_rules.announce import announcement, is_person_action
from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.decisions import Decision, cancel_all, decide
from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay import CustomerReplay
from crm_rules.policy.restore import restored
from crm_rules.repository import CustomerKey
from crm_rules.service.replays import Effects, KeptReplays, Started, keep_replays, start_replays
from crm_rules.service.settings_changes import apply_settings_changes
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue
from crm_servicekit.settings_store import settings_changes, settings_histories


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

    The batch's settings changes come first (service.settings_changes: each account's
    history grows, and the reminders it reaches are judged again); then each customer's
    events are replayed under their account's settings history as it stands after them.

    With `kept` (the consumer's), a customer's replay continues from where it stood when
    that still stands for the store (service.replays), and where it stands after is kept
    again, in memory and in the store. Without it every customer's whole history is read
    and replayed, and nothing is kept: the reference the tests compare with."""
    changes = settings_changes(events)
    of_customers = [event for event in events if event.customer_id is not None]
    known = accounts.of_events([*of_customers, *changes])
    by_customer: dict[CustomerKey, tuple[Account, list[EventEnvelope]]] = {}
    for event in events:
        if event.customer_id is not None:
            key = (event.account_id, event.customer_id)
            by_customer.setdefault(key, (known[event.account_id], []))[1].append(event)
    changing = {change.account_id for change in changes}
    await repo.lock_accounts(conn, changing, {key[0] for key in by_customer} - changing)
    applied = await apply_settings_changes(
        conn, changes, accounts=accounts, topic=topic, received_at=received_at, kept=kept
    )
    announced = applied.announced
    if not by_customer:
        return announced
    applying = {account.account_id: account for account, _ in by_customer.values()}
    # The changing accounts' histories as they stand after the changes; the others read here.
    unread = [account for a, account in applying.items() if a not in applied.histories]
    settings = await settings_histories(conn, unread) if unread else {}
    settings.update((a, applied.histories[a]) for a in applying if a in applied.histories)
    keys = list(by_customer)
    await repo.lock_customers(conn, keys)
    if kept is None:
        starts = await _whole_histories(conn, by_customer, settings)
    else:
        starts = await start_replays(conn, by_customer, kept, settings)
    fresh: list[tuple[CustomerKey, list[CustomerEvent]]] = []
    changed: list[Reminder] = []
    outgoing: list[EventEnvelope] = []
    keeping: list[tuple[CustomerKey, Effects]] = []
    for key, (account, group) in by_customer.items():
        start = starts[key]
        effects = _apply_customer(account, key[1], start, group, received_at)
        fresh.append((key, effects.fresh))
        changed += effects.changed
        outgoing += effects.outgoing
        keeping.append((key, effects))
    await repo.add_events_of_many(conn, fresh)
    await repo.save_reminders(conn, changed)
    announced += await enqueue(conn, outgoing, topic)
    if kept is not None:
        await keep_replays(conn, kept, keeping, settings)
    return announced


async def _whole_histories(
    conn: Conn,
    by_customer: dict[CustomerKey, tuple[Account, list[EventEnvelope]]],
    settings: Mapping[str, SettingsHistory],
) -> dict[CustomerKey, Started]:
    keys = list(by_customer)
    histories = await repo.events_of_many(conn, keys)
    reminders = await repo.reminders_of_many(conn, keys)
    return {
        key: Started(
            CustomerReplay(account, key[1], histories[key], reminders[key], settings[key[0]]),
            {r.id: r for r in reminders[key]},
        )
        for key, (account, _) in by_customer.items()
    }


def _apply_customer(
    account: Account,
    customer_id: uuid.UUID,
    start: Started,
    group: Sequence[EventEnvelope],
    received_at: datetime,
) -> Effects:
    """One customer's new events, each replayed with the history before it (pure, but for
    the replay, which it brings up to date)."""
    account_id = account.account_id
    replay, stored = start.replay, dict(start.stored)
    fresh: list[CustomerEvent] = []
    changed: dict[uuid.UUID, Reminder] = {}
    outgoing: list[EventEnvelope] = []
    for envelope in group:
        cause = Cause.of_event(envelope, received_at)
        decisions: list[Decision]
        if is_person_action(envelope):
            reminder = restored(envelope, stored)
            if reminder is not None:  # a rebuild: the store gets the action back, unannounced
                if not isinstance(replay, CustomerReplay):
                    raise TypeError("a person's action given back needs the customer's history")
                stored[reminder.id] = changed[reminder.id] = reminder
                replay = CustomerReplay(
                    account, customer_id, replay.events, stored.values(), replay.settings
                )
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
    return Effects(fresh, list(changed.values()), outgoing, replay, dict(start.stored))
