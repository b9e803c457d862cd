"""The settings in force, read from the real store: the DMO days, the week and the overdue
reminders of an account whose settings change agree with the in-memory reference at instants
around each change, whatever the batches and wherever the changes fall in the arrival order
(a change arriving after the facts it judges included); a streak with targets of 0 is as long
as the account's days; and the whole path through Kafka, then replayed into an empty database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_schemas.envelope import EventEnvelope
from crm_schemas.vocabulary import Vocabulary
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.clock import FixedClock
from crm_servicekit.connection import Conn
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new, drop_tombstoned
from crm_stats.main import MIGRATIONS
from crm_stats.policy.dmo import DmoTargets, dmo_days
from crm_stats.policy.figures import stats_figures
from crm_stats.policy.periods import PeriodName, resolve_period
from crm_stats.repository.figures import stats_inputs
from crm_stats.service import dmo_progress, record_batch

from .changing_settings import ACCOUNT, AS_OF, CHANGES, ZONE, facts, local, week
from .kafka_support import eventually, produce
from .ledger import Ledger
from .scripted_week import NAMESPACE, event
from .service_support import RunningStats, running_stats

pytestmark = pytest.mark.integration

ZERO = Account(account_id="zero", dmo_targets={"invites": 0, "follow_ups": 0})
ACCOUNTS = Accounts([ACCOUNT, ZERO])
INSTANTS = [
    local(2, 7),  # before any event
    local(4, 17, 59),
    local(4, 18),  # the lowering
    AS_OF,
    local(5, 12, 31),  # past the longer grace
    local(5, 15),  # the 5 follow-ups
    local(8, 23, 59),
]


async def apply_batch(conn: Conn, batch: Sequence[EventEnvelope]) -> None:
    """As the consumer runtime does: de-dup by event id, drop deleted customers' events."""
    async with conn.transaction():
        fresh = await claim_new(conn, batch)
        live, _ = await drop_tombstoned(conn, fresh)
        if live:
            await record_batch(conn, live, ACCOUNTS)


def arrivals() -> dict[str, list[EventEnvelope]]:
    return {"changes_first": week(), "changes_last": [*facts(), *CHANGES]}


@pytest.mark.parametrize(("order", "batch_size"), [("changes_first", 1), ("changes_last", 500)])
async def test_the_store_judges_by_the_settings_in_force_as_the_reference_does(
    new_database: str, order: str, batch_size: int
) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    events = arrivals()[order]
    pool = await create_pool(new_database)
    try:
        async with pool.acquire() as conn:
            for start in range(0, len(events), batch_size):
                await apply_batch(conn, events[start : start + batch_size])
                await apply_batch(conn, events[start : start + batch_size])  # redelivered
        ledger = Ledger(ZONE, DmoTargets(2, 1))
        ledger.apply_all(events)
        grace_s = ACCOUNT.overdue_grace.total_seconds()
        for as_of in INSTANTS:
            for name in (PeriodName.TODAY, PeriodName.WEEK):
                period = resolve_period(name, as_of, ZONE)
                stored = stats_figures(await stats_inputs(pool, ACCOUNT, period, as_of), None)
                want = stats_figures(ledger.inputs(period, as_of, grace_s), None)
                assert stored.model_dump() == want.model_dump(), (name, as_of)
            got = await dmo_progress(pool, ACCOUNT, as_of, 7)
            assert got == dmo_days(ledger.account_days(as_of, grace_s), 7), as_of
        # And by hand, at Thursday noon: Wednesday judged by the target lowered that evening,
        # Tuesday by the old one; the reminder due 2.5 hours is within the 3 hours' grace.
        at_noon = await dmo_progress(pool, ACCOUNT, AS_OF, 4)
        assert [(i.invites_target, i.met) for i in at_noon.items] == [
            (1, True),
            (1, True),
            (2, False),
            (2, True),
        ]
        assert at_noon.streak_days == 2
        week_period = resolve_period(PeriodName.WEEK, AS_OF, ZONE)
        counts = stats_figures(await stats_inputs(pool, ACCOUNT, week_period, AS_OF), None)
        assert (counts.counts.reminders_due, counts.counts.reminders_overdue) == (1, 0)
        assert counts.dmo.week.invites_target == 9
    finally:
        await pool.close()


async def test_a_zero_targets_streak_is_as_long_as_the_accounts_days(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    first = datetime(2026, 11, 20, 9, tzinfo=UTC)
    customer = NAMESPACE
    replied = first + timedelta(days=3)
    opened = [
        event("DM_STARTED", customer, first, account="zero"),
        event("MESSAGE_SENT", customer, replied, {"channel": "ig"}, account="zero"),
    ]
    pool = await create_pool(new_database)
    try:
        async with pool.acquire() as conn:
            await apply_batch(conn, opened)
        # Monday 30 Nov: the 20th to the 30th, eleven local days, every one met by any count.
        monday = datetime(2026, 11, 30, 12, tzinfo=UTC)
        assert (await dmo_progress(pool, ZERO, monday, 7)).streak_days == 11
        week = resolve_period(PeriodName.WEEK, monday, ZERO.zone)
        figures = stats_figures(await stats_inputs(pool, ZERO, week, monday), Vocabulary.FRAZER)
        assert figures.dmo.streak_days == 11
        # Before its first event the account has no day to count.
        assert (await dmo_progress(pool, ZERO, first - timedelta(hours=1), 7)).streak_days == 0
    finally:
        await pool.close()


async def dmo_at(stats: RunningStats, as_of: datetime) -> list[tuple[int, bool]]:
    response = await stats.get("/api/stats/dmo", ACCOUNT.account_id, days=4, as_of=as_of)
    assert response.status_code == 200, response.text
    return [(item["invites_target"], item["met"]) for item in response.json()["items"]]


async def test_through_kafka_then_replayed_with_the_changes_arriving_last(
    kafka_bootstrap: str,
    new_database: str,
    replay_database: str,
    redis_url: str,
    new_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    want = [(1, True), (1, True), (2, False), (2, True)]
    common: dict[str, Any] = {
        "tmp_path": tmp_path,
        "kafka_bootstrap": kafka_bootstrap,
        "redis_url": redis_url,
        "accounts": [ACCOUNT, ZERO],
        "clock": FixedClock(AS_OF),
    }
    for database, events in ((new_database, week()), (replay_database, arrivals()["changes_last"])):
        topic = new_topic(partitions=3)
        await produce(kafka_bootstrap, events, topic)
        async with running_stats(database_url=database, topic=topic, **common) as stats:

            async def judged(stats: RunningStats = stats) -> list[tuple[int, bool]]:
                return await dmo_at(stats, AS_OF)

            assert await eventually(judged, lambda days: days == want) == want
            figures = await stats.get(
                "/api/customers/stats", ACCOUNT.account_id, period="week", as_of=AS_OF
            )
            assert figures.json()["counts"]["reminders_overdue"] == 0
            assert figures.json()["dmo"]["week"]["invites_target"] == 9
