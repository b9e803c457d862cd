"""The open-reminders counter kept by the consumer equals a recount of the reminders after
every batch, after a redelivered batch and after a replay into an empty database; and the
reminders_due / reminders_overdue read from it equal the in-memory reference at any as_of
around the reminders' openings, reschedules, due times and closings."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.connection import Conn
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new, drop_tombstoned
from crm_stats.main import MIGRATIONS
from crm_stats.policy.counters import net_opened
from crm_stats.policy.dmo import DmoTargets
from crm_stats.policy.figures import OpenReminders
from crm_stats.policy.periods import PeriodName, resolve_period
from crm_stats.repository.figures import stats_inputs
from crm_stats.repository.reminders import open_at
from crm_stats.service import record_batch

from .ledger import Ledger
from .scripted_week import NAMESPACE, event

OSLO = Account(account_id="oslo", time_zone="Europe/Oslo")
OTHER = Account(account_id="other", time_zone="Europe/Oslo", overdue_grace=timedelta(0))
ACCOUNTS = (OSLO, OTHER)
T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)
KINDS = ("follow_up_2h", "follow_up_24h", "follow_up_7d", "custom")


def _reminder_events(
    rng: random.Random, account: str, customer: uuid.UUID, number: int
) -> list[EventEnvelope]:
    """One reminder's life: created, maybe rescheduled and due, maybe completed or canceled."""
    rid = uuid.uuid5(NAMESPACE, f"{account}-{customer}-{number}")
    kind = rng.choice(KINDS)
    created = T0 + timedelta(minutes=rng.randrange(0, 72 * 60))
    # Sometimes scheduled before it was made (a late rule), usually ahead.
    scheduled = created + timedelta(minutes=rng.randrange(-120, 7 * 24 * 60))

    def sent(name: str, when: datetime, **extra: object) -> EventEnvelope:
        props = {
            "reminder_id": str(rid),
            "type": kind,
            "rule": "manual" if kind == "custom" else "inactivity",
            "scheduled_for": scheduled.isoformat(),
            "trigger_event_id": "t",
            "automated": kind != "custom",
            **extra,
        }
        return event(name, customer, when, props, account=account, event_id=f"{rid}-{name}")

    out = [sent("REMINDER_CREATED", created)]
    last = created
    if rng.random() < 0.3:
        previous, last = scheduled, created + timedelta(minutes=rng.randrange(1, 600))
        scheduled = last + timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        out.append(sent("REMINDER_RESCHEDULED", last, previous_scheduled_for=previous.isoformat()))
    if rng.random() < 0.4 and scheduled > last:
        last = scheduled
        out.append(sent("REMINDER_DUE", scheduled))
    end = rng.random()
    closed = last + timedelta(minutes=rng.randrange(1, 4 * 24 * 60))
    if end < 0.35:
        by = rng.choice(["person", "follow_up_done"])
        out.append(sent("REMINDER_COMPLETED", closed, completed_by=by))
    elif end < 0.6:
        out.append(sent("REMINDER_CANCELED", closed, reason="stage_changed"))
    return out


def history(seed: int) -> list[EventEnvelope]:
    """Two accounts' reminders in a shuffled arrival order, with one customer deleted."""
    rng = random.Random(seed)
    events: list[EventEnvelope] = []
    for account in ACCOUNTS:
        for n in range(6):
            customer = uuid.uuid5(NAMESPACE, f"reminders-{seed}-{account.account_id}-{n}")
            events.append(event("DM_STARTED", customer, T0, account=account.account_id))
            for number in range(rng.randint(1, 4)):
                events.extend(_reminder_events(rng, account.account_id, customer, number))
            if n == 0:
                gone = T0 + timedelta(hours=rng.randrange(1, 96))
                events.append(event("CUSTOMER_DELETED", customer, gone, account=account.account_id))
    rng.shuffle(events)
    return events


async def apply_batch(conn: Conn, batch: list[EventEnvelope]) -> None:
    """As the consumer runtime does: de-dup by event id, drop deleted customers' events."""
    async with conn.transaction():
        fresh = await claim_new(conn, batch)
        live, _ = await drop_tombstoned(conn, fresh)
        if live:
            await record_batch(conn, live, Accounts(list(ACCOUNTS)))


async def counters(conn: Conn) -> dict[str, int]:
    rows = await conn.fetch("SELECT account_id, open_reminders FROM reminder_counts")
    return {row["account_id"]: row["open_reminders"] for row in rows if row["open_reminders"]}


async def recount(conn: Conn) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT account_id, count(*) AS n FROM reminders WHERE closed_at IS NULL "
        "GROUP BY account_id"
    )
    return {row["account_id"]: row["n"] for row in rows}


def instants(events: list[EventEnvelope], grace: timedelta) -> list[datetime]:
    """Each event's time and its reminder's due time, with the grace's edges, a second
    either side, and well before and after everything."""
    moments = {T0 - timedelta(days=1), T0 + timedelta(days=30)}
    for e in events:
        scheduled = e.properties.get("scheduled_for")
        bases = [e.timestamp]
        if scheduled:
            at = datetime.fromisoformat(scheduled)
            bases += [at, at + grace]
        for base in bases:
            moments |= {base - timedelta(seconds=1), base, base + timedelta(seconds=1)}
    return sorted(moments)


@pytest.mark.parametrize(("seed", "batch_size"), [(1, 1), (2, 7), (3, 500)])
async def test_counter_equals_a_recount_and_the_figures_match_the_reference(
    new_database: str, replay_database: str, seed: int, batch_size: int
) -> None:
    events = history(seed)
    for dsn in (new_database, replay_database):
        await apply_migrations_in_thread(dsn, MIGRATIONS)
    conn = await asyncpg.connect(new_database)
    pool = await create_pool(new_database)  # stats_inputs reads on several connections
    try:
        for start in range(0, len(events), batch_size):
            batch = events[start : start + batch_size]
            await apply_batch(conn, batch)
            assert await counters(conn) == await recount(conn)
            await apply_batch(conn, batch)  # redelivered: nothing moves
            assert await counters(conn) == await recount(conn)
        kept = await counters(conn)
        assert set(kept) == {"oslo", "other"}

        ledgers = {
            a.account_id: Ledger(ZoneInfo("Europe/Oslo"), DmoTargets(20, 30)) for a in ACCOUNTS
        }
        for e in events:
            ledgers[e.account_id].apply(e)
        for account in ACCOUNTS:
            ledger = ledgers[account.account_id]
            grace = account.overdue_grace
            for as_of in instants(events, grace):
                period = resolve_period(PeriodName.TODAY, as_of, account.zone)
                want = ledger.inputs(period, as_of, grace.total_seconds())
                got = await open_at(conn, account.account_id, as_of, grace)
                assert (got.due, got.overdue) == (
                    want.reminders_due,
                    want.reminders_overdue,
                ), (account.account_id, as_of)
            stored = await stats_inputs(pool, account, period, as_of)
            assert stored.reminders_due == want.reminders_due
    finally:
        await pool.close()
        await conn.close()

    replay = await asyncpg.connect(replay_database)
    try:
        await apply_batch(replay, events)
        assert await counters(replay) == await recount(replay) == kept
    finally:
        await replay.close()


async def test_open_complete_cancel_and_delete_move_the_counter(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    customer, other = uuid.uuid5(NAMESPACE, "counter-a"), uuid.uuid5(NAMESPACE, "counter-b")

    def sent(
        name: str, who: uuid.UUID, number: int, when: datetime, **extra: object
    ) -> EventEnvelope:
        rid = uuid.uuid5(NAMESPACE, f"counter-{who}-{number}")
        props = {
            "reminder_id": str(rid),
            "type": "follow_up_24h",
            "rule": "video_sent",
            "scheduled_for": (T0 + timedelta(days=1)).isoformat(),
            "trigger_event_id": "t",
            "automated": True,
            **extra,
        }
        return event(name, who, when, props, account="oslo", event_id=f"{rid}-{name}-{when}")

    steps: list[tuple[list[EventEnvelope], int]] = [
        ([sent("REMINDER_CREATED", customer, n, T0) for n in range(3)], 3),
        ([sent("REMINDER_CREATED", other, 0, T0)], 4),
        ([sent("REMINDER_CREATED", customer, 0, T0 + timedelta(hours=1))], 4),  # again
        ([sent("REMINDER_DUE", customer, 1, T0 + timedelta(days=1))], 4),
        (
            [
                sent(
                    "REMINDER_COMPLETED", customer, 0, T0 + timedelta(days=1), completed_by="person"
                )
            ],
            3,
        ),
        ([sent("REMINDER_CANCELED", customer, 1, T0 + timedelta(days=1), reason="r")], 2),
        ([sent("REMINDER_CANCELED", customer, 1, T0 + timedelta(days=2), reason="r")], 2),
        # Closed before its creation arrives: it never opens.
        (
            [
                sent("REMINDER_COMPLETED", other, 1, T0 + timedelta(days=1), completed_by="person"),
                sent("REMINDER_CREATED", other, 1, T0),
            ],
            2,
        ),
        ([event("CUSTOMER_DELETED", customer, T0 + timedelta(days=3), account="oslo")], 1),
        ([sent("REMINDER_CREATED", customer, 5, T0 + timedelta(days=4))], 1),  # dropped
    ]
    try:
        async with pool.acquire() as conn:
            for batch, expected in steps:
                await apply_batch(conn, batch)
                assert await counters(conn) == await recount(conn) == {"oslo": expected}
            figures = await open_at(conn, "oslo", T0 + timedelta(days=5), OSLO.overdue_grace)
            assert figures == OpenReminders(1, 0, 0, 0, 0)
            assert (figures.due, figures.overdue) == (1, 1)
    finally:
        await pool.close()


def test_net_opened_keeps_only_accounts_that_moved() -> None:
    assert net_opened({"a": 2, "b": 1}, {"a": 1, "b": 1, "c": 3}) == {"a": -1, "c": 3}
    assert net_opened({"a": 1}, {}) == {"a": -1}


def test_open_at_as_of_from_the_counter_and_the_edges() -> None:
    counted = OpenReminders(
        open_now=10, scheduled_later=3, opened_later=1, closed_later=2, within_grace=4
    )
    assert (counted.due, counted.overdue) == (8, 4)
