"""Use cases: take events in, recompute customers, announce changed recommendations.

Functions here run inside the caller's transaction and never commit; the consumer batch,
the timer tick or the request owns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crm_nba import repository as repo
from crm_nba.policy import NONE_ACTION
from crm_nba.projection import JOURNALED_EVENTS, Fold, fold, fold_more, projection_of
from crm_nba.repository import CustomerKey
from crm_nba.transitions import assess, same_answer
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_events import system_event
from crm_schemas.system_properties import (
    CompletedBy,
    NbaChanged,
    Recommendation,
    ReminderEvent,
    ReminderType,
)
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue

PRODUCER = "nba"
E = EventName
FOLLOW_UP_TYPES = frozenset(t for t in ReminderType if t.value.startswith("follow_up_"))


@dataclass(frozen=True)
class Cause:
    """What an NBA_CHANGED is the consequence of: its deterministic id and its timestamp."""

    event_id: str
    timestamp: datetime


@dataclass(frozen=True)
class Outlet:
    """Where the service's own events go, and the accounts' settings."""

    accounts: Accounts
    topic: str

    def account(self, account_id: str) -> Account:
        # An event may name an account the file no longer lists; its defaults still apply.
        return self.accounts.get(account_id) or Account(account_id=account_id)


def dmo_kind(event: EventEnvelope) -> str | None:
    """'invite' or 'follow_up' when the event counts towards the DMO (DOMAIN.md, KPIs)."""
    if event.event_name is E.INVITE_SENT:
        return "invite"
    if event.event_name is E.FOLLOW_UP_DONE:
        return "follow_up"
    if event.event_name is E.REMINDER_COMPLETED:
        reminder = ReminderEvent.model_validate(event.properties)
        if reminder.type in FOLLOW_UP_TYPES and reminder.completed_by is CompletedBy.PERSON:
            return "follow_up"
    return None


async def take_events(
    conn: Conn, events: Sequence[EventEnvelope], outlet: Outlet, now: datetime
) -> list[Recommendation]:
    """One consumer batch: journal, count the DMO, recompute each customer touched once."""
    journaled = [e for e in events if e.event_name in JOURNALED_EVENTS and e.customer_id]
    await repo.append_journal(conn, journaled)
    dmo = [(e.account_id, e.event_id, kind, e.timestamp) for e in events if (kind := dmo_kind(e))]
    await repo.record_dmo(conn, dmo)
    causes: dict[CustomerKey, Cause] = {}
    arrived: dict[CustomerKey, list[EventEnvelope]] = {}
    for event in journaled:
        assert event.customer_id is not None
        key = (event.account_id, event.customer_id)
        # The last event of the batch names the change, so a redelivery names it again.
        causes[key] = Cause(event.event_id, event.timestamp)
        arrived.setdefault(key, []).append(event)
    return await recompute(conn, causes, outlet, now, first_seen=arrived)


async def recompute(
    conn: Conn,
    causes: dict[CustomerKey, Cause],
    outlet: Outlet,
    now: datetime,
    first_seen: dict[CustomerKey, list[EventEnvelope]] | None = None,
    *,
    from_journal: bool = False,
) -> list[Recommendation]:
    """Recompute the customers, store them, and announce what changed.

    `first_seen` holds a batch's events by customer. A stored fold continues with them
    (nothing else is read); a customer the service has never stored has them as the whole
    journal. The journal is read and folded whole only for a late event, a row stored
    before folds were kept, or when asked (`from_journal`, the API's recompute).
    """
    if not causes:
        return []
    # One order for every writer (consumer, timer, API), so their row locks cannot deadlock.
    keys = sorted(causes)
    stored = await repo.stored_folds(conn, keys)
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
    journals = await repo.journals(conn, from_start) if from_start else {}
    for key, events in journals.items():
        folds[key] = fold(key[1], events)
    rows: list[repo.CustomerRow] = []
    announced: list[EventEnvelope] = []
    for key in keys:
        if key not in folds:
            continue  # nothing this service keeps is known about them
        account_id = key[0]
        projection = projection_of(folds[key])
        assessment = assess(projection, now, outlet.account(account_id))
        rows.append(repo.CustomerRow(account_id, folds[key], projection, assessment))
        before = stored.get(key)
        if is_news(before.recommendation if before else None, assessment.recommendation):
            announced.append(nba_changed(key, assessment.recommendation, causes[key]))
    await repo.save_customers(conn, rows)
    await enqueue(conn, announced, outlet.topic)
    return [row.assessment.recommendation for row in rows]


def is_news(before: Recommendation | None, after: Recommendation) -> bool:
    """A first recommendation of `none` is not news: nothing was recommended before either."""
    if before is None:
        return after.action != NONE_ACTION
    return not same_answer(before, after)


def nba_changed(key: CustomerKey, recommendation: Recommendation, cause: Cause) -> EventEnvelope:
    return system_event(
        name=E.NBA_CHANGED,
        account_id=key[0],
        customer_id=key[1],
        properties=NbaChanged(recommendation=recommendation),
        cause_event_id=cause.event_id,
        timestamp=cause.timestamp,
        producer=PRODUCER,
        received_at=recommendation.computed_at,
    )
