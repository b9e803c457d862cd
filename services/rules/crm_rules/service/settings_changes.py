"""Applying ACCOUNT_SETTINGS_CHANGED (docs/domain.md, Accounts): the account's settings history
grows, and the reminders of the triggers the change reaches are judged again.

A change applies to triggers stamped from its timestamp on. One that reaches this service after
such triggers were applied (a change dated back, or one that raced them on another partition)
replays every customer of the account with an event from that instant on under the new history,
and the usual decisions move, cancel or create their reminders, caused by the change. So a
rebuild that reads the change before those triggers, or after them, ends with the same open
reminders. All in the batch's transaction, a chunk of customers at a time to bound what is
held in memory (the transaction itself is not bounded: the change and all it reaches commit
together, or nothing does).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from crm_rules import repository as repo
from crm_rules.announce import announcement
from crm_rules.policy.automation import judged_again_from
from crm_rules.policy.decisions import decide
from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay import CustomerReplay
from crm_rules.repository import CustomerKey
from crm_rules.service.replays import Effects, KeptReplays, keep_replays
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue
from crm_servicekit.settings_store import (
    record_settings_changes,
    settings_change_of,
    settings_histories,
)

# Customers replayed together: their histories and reminders are read in one statement each.
CHUNK: Final = 500
# How many customers are replayed between two turns of the event loop.
YIELD_EVERY: Final = 50


@dataclass(frozen=True)
class SettingsApplied:
    """What a batch's settings changes did: how many events were announced, and each changing
    account's settings history after them."""

    announced: int
    histories: dict[str, SettingsHistory]


async def apply_settings_changes(
    conn: Conn,
    changes: Sequence[EventEnvelope],
    *,
    accounts: Accounts,
    topic: str,
    received_at: datetime,
    kept: KeptReplays | None,
) -> SettingsApplied:
    """Record each change in order and judge again what it reaches (the caller holds the
    changing accounts' locks: repository.lock_accounts). A change seen before is not applied
    again. The histories are read once for the batch and grown by each change recorded."""
    changing = accounts.of_events(changes)
    histories = await settings_histories(conn, changing.values()) if changing else {}
    announced = 0
    for change in changes:
        account = changing[change.account_id]
        if not await record_settings_changes(conn, [change]):
            continue
        before = histories[account.account_id]
        after = before.with_change(settings_change_of(change))
        histories[account.account_id] = after
        since = judged_again_from(before, after)
        if since is None:
            continue  # nothing the rules read changed (targets, grace, region)
        keys = await repo.customers_with_events_since(conn, account.account_id, since)
        cause = Cause.of_event(change, received_at)
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            announced += await _judge_again(conn, account, chunk, after, cause, topic, kept)
    return SettingsApplied(announced, histories)


async def _judge_again(
    conn: Conn,
    account: Account,
    keys: Sequence[CustomerKey],
    settings: SettingsHistory,
    cause: Cause,
    topic: str,
    kept: KeptReplays | None,
) -> int:
    """These customers' whole histories replayed under `settings`, and the differences with
    their stored reminders written and announced as caused by the change."""
    await repo.lock_customers(conn, keys)
    histories = await repo.events_of_many(conn, keys)
    reminders = await repo.reminders_of_many(conn, keys)
    changed: list[Reminder] = []
    outgoing: list[EventEnvelope] = []
    keeping: list[tuple[CustomerKey, Effects]] = []
    for n, key in enumerate(keys):
        if n % YIELD_EVERY == YIELD_EVERY - 1:
            # Replaying a big account is seconds of CPU: the loop still answers requests and
            # keeps the consumer's heartbeat meanwhile.
            await asyncio.sleep(0)
        stored = {r.id: r for r in reminders[key]}
        replay = CustomerReplay(account, key[1], histories[key], reminders[key], settings)
        decisions = decide(account.account_id, key[1], replay.reminders, stored, cause.timestamp)
        mine: dict[uuid.UUID, Reminder] = {}
        for decision in decisions:
            mine[decision.reminder.id] = decision.reminder
            outgoing.append(announcement(decision, cause))
        changed += mine.values()
        keeping.append((key, Effects([], list(mine.values()), [], replay, stored)))
    await repo.save_reminders(conn, changed)
    announced = await enqueue(conn, outgoing, topic)
    if kept is not None:
        await keep_replays(conn, kept, keeping, {account.account_id: settings})
    return announced
