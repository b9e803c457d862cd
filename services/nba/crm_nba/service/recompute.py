"""Recomputing customers: after a consumer batch, when time changes their answer, when asked,
when an account's settings change.

Each stores the customers it recomputed and announces the recommendations that changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from crm_nba.announce import Outlet, nba_changed, person_asked, time_passed
from crm_nba.policy.coaching import dmo_kind, earliest_events
from crm_nba.policy.projection import JOURNALED_EVENTS, Fold, fold, fold_more, projection_of
from crm_nba.policy.transitions import assess, grace_changed, is_news
from crm_nba.repository import customers, journal
from crm_nba.repository.coaching import DmoEvent, record_dmo, record_first_events
from crm_nba.repository.customers import CustomerKey
from crm_nba.service.coaching import emit_coaching
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import Recommendation
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue
from crm_servicekit.settings_store import (
    record_settings_changes,
    settings_change_of,
    settings_changes,
    settings_histories,
)

# How many due customers one timer transaction recomputes.
TIMER_BATCH = 500
# How many customers are recomputed between two turns of the event loop.
YIELD_EVERY = 100


async def take_events(
    conn: Conn, events: Sequence[EventEnvelope], outlet: Outlet, now: datetime
) -> list[Recommendation]:
    """One consumer batch: keep the settings changes, journal, count the DMO, recompute each
    customer touched once, and where an account's settings changed, recompute its customers
    whose answer the overdue_grace decides (those with an open reminder) and coach it again."""
    changed = await record_settings_changes(conn, events)
    journaled = [e for e in events if e.event_name in JOURNALED_EVENTS and e.customer_id]
    await journal.append_journal(conn, journaled)
    dmo = [
        DmoEvent(e.account_id, e.event_id, kind, e.timestamp)
        for e in events
        if (kind := dmo_kind(e))
    ]
    await record_dmo(conn, dmo)
    await record_first_events(conn, earliest_events(events))
    causes: dict[CustomerKey, Cause] = {}
    arrived: dict[CustomerKey, list[EventEnvelope]] = {}
    for event in journaled:
        assert event.customer_id is not None
        key = (event.account_id, event.customer_id)
        # The last event of the batch names the change, so a redelivery names it again.
        causes[key] = Cause.of_event(event, received_at=now)
        arrived.setdefault(key, []).append(event)
    # The account's last change of the batch names what it changed; a change recorded before
    # (a redelivery) changed nothing and recomputes nothing.
    settings_causes = {
        e.account_id: (Cause.of_event(e, received_at=now), settings_change_of(e))
        for e in settings_changes(events)
        if e.account_id in changed
    }
    # Read once for the batch: the changes judged, the customers recomputed, the coaching.
    batch_accounts = set(settings_causes) | {key[0] for key in arrived}
    histories = await histories_of(conn, outlet, batch_accounts)
    for account_id, (cause, change) in sorted(settings_causes.items()):
        if not grace_changed(histories[account_id], change):
            continue
        for key in await customers.with_open_reminders(conn, account_id):
            causes.setdefault(key, cause)
    recomputed = await recompute(conn, causes, outlet, now, first_seen=arrived, histories=histories)
    for account_id in sorted(settings_causes):
        account = outlet.account(account_id)
        await emit_coaching(conn, account, outlet, now, histories[account_id])
    return recomputed


async def histories_of(
    conn: Conn, outlet: Outlet, account_ids: Iterable[str]
) -> dict[str, SettingsHistory]:
    """The settings history of each account, in one read."""
    return await settings_histories(conn, [outlet.account(a) for a in account_ids])


async def recompute_due(
    conn: Conn,
    outlet: Outlet,
    now: datetime,
    histories: Mapping[str, SettingsHistory] | None = None,
) -> int:
    """Recompute up to a batch of customers whose stored next change is at or before now;
    `histories`, the settings histories the caller read already."""
    due = await customers.customers_due_for_timer(conn, now, TIMER_BATCH)
    causes = {key: time_passed(key[1], changes_at, now) for key, changes_at in due}
    await recompute(conn, causes, outlet, now, histories=histories)
    return len(due)


async def recompute_asked(
    conn: Conn, account_id: str, customer_ids: Sequence[UUID], outlet: Outlet, now: datetime
) -> list[Recommendation]:
    """A person asked: fold each customer's journal from the start, whatever is stored."""
    causes = {(account_id, c): person_asked(c, now) for c in customer_ids}
    return await recompute(conn, causes, outlet, now, from_journal=True)


async def recompute(
    conn: Conn,
    causes: dict[CustomerKey, Cause],
    outlet: Outlet,
    now: datetime,
    first_seen: dict[CustomerKey, list[EventEnvelope]] | None = None,
    *,
    from_journal: bool = False,
    histories: Mapping[str, SettingsHistory] | None = None,
) -> list[Recommendation]:
    """Recompute the customers, store them, and announce what changed.

    `first_seen` holds a batch's events by customer. A stored fold continues with them
    (nothing else is read); a customer the service has never stored has them as the whole
    journal. The journal is read and folded whole only for a late event, a row stored
    before folds were kept, or when asked (`from_journal`, the API's recompute).
    The settings histories are read only for the accounts `histories` does not hold.
    """
    if not causes:
        return []
    # One order for every writer (consumer, timer, API), so their row locks cannot deadlock.
    keys = sorted(causes)
    stored = await customers.stored_folds(conn, keys)
    arrived = first_seen or {}
    folds: dict[CustomerKey, Fold] = {}
    from_start: list[CustomerKey] = []
    for key in keys:
        found = stored.get(key)
        if found is None and key in arrived:
            folds[key] = fold(key[1], arrived[key])
        elif found is None or found.fold is None or from_journal:
            from_start.append(key)
        elif (continued := fold_more(found.fold, arrived.get(key, []))) is not None:
            folds[key] = continued
        else:
            from_start.append(key)
    journals = await journal.journals(conn, from_start) if from_start else {}
    for key, events in journals.items():
        folds[key] = fold(key[1], events)
    known = histories or {}
    missing = {key[0] for key in keys} - set(known)
    in_force = {**known, **(await histories_of(conn, outlet, missing) if missing else {})}
    rows: list[customers.CustomerRow] = []
    announced: list[EventEnvelope] = []
    for n, key in enumerate(keys):
        if n % YIELD_EVERY == YIELD_EVERY - 1:
            # Thousands of customers (a grace changed on a big account) are seconds of CPU:
            # the loop still answers requests and keeps the consumer's heartbeat meanwhile.
            await asyncio.sleep(0)
        if key not in folds:
            continue  # nothing this service keeps is known about them
        account_id, customer_id = key
        projection = projection_of(folds[key])
        assessment = assess(projection, now, in_force[account_id])
        rows.append(customers.CustomerRow(account_id, folds[key], projection, assessment))
        before = stored.get(key)
        if is_news(before.recommendation if before else None, assessment.recommendation):
            announced.append(
                nba_changed(account_id, customer_id, assessment.recommendation, causes[key])
            )
    await customers.save_customers(conn, rows)
    await enqueue(conn, announced, outlet.topic)
    return [row.assessment.recommendation for row in rows]
