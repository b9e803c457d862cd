"""The PostgreSQL store gives the figures of the in-memory reference, for any period and
as_of, whatever the batches: the scripted week plus a deletion, applied as the runtime does."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_schemas.envelope import EventEnvelope
from crm_schemas.vocabulary import Vocabulary
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new, drop_tombstoned
from crm_stats.main import MIGRATIONS
from crm_stats.policy.dmo import DmoTargets
from crm_stats.policy.figures import stats_figures
from crm_stats.policy.periods import PeriodName, resolve_period
from crm_stats.repository.figures import stats_inputs
from crm_stats.service import record_batch

from .ledger import Ledger
from .scripted_week import AS_OF, OSLO, B, C, at, event, oslo_week

ACCOUNT = Account(
    account_id=OSLO, time_zone="Europe/Oslo", dmo_targets={"invites": 2, "follow_ups": 1}
)


def with_deletion() -> list[EventEnvelope]:
    """The week, then C deleted on Saturday, and one event of C's after it (dropped)."""
    return [
        *oslo_week(),
        event("CUSTOMER_DELETED", C, at(24, 12)),
        event("INVITE_SENT", C, at(24, 13)),
        event("MEETING_HELD", B, at(24, 14)),
    ]


@pytest.mark.parametrize("batch_size", [1, 7, 500])
async def test_store_and_ledger_agree(new_database: str, batch_size: int) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    accounts = Accounts([ACCOUNT])
    events = with_deletion()
    try:
        for start in range(0, len(events), batch_size):
            async with pool.acquire() as conn, conn.transaction():
                fresh = await claim_new(conn, events[start : start + batch_size])
                live, _ = await drop_tombstoned(conn, fresh)
                if live:
                    await record_batch(conn, live, accounts)
        ledger = Ledger(ZoneInfo("Europe/Oslo"), DmoTargets(2, 1))
        # The runtime drops events of deleted customers; the ledger does the same.
        ledger.apply_all(events)
        for period_name, as_of, bounds in cases():
            period = resolve_period(period_name, as_of, ACCOUNT.zone, *bounds)
            stored = await stats_inputs(pool, ACCOUNT, period, as_of)
            reference = ledger.inputs(period, as_of, ACCOUNT.overdue_grace.total_seconds())
            got = stats_figures(stored, Vocabulary.FRAZER).model_dump()
            want = stats_figures(reference, Vocabulary.FRAZER).model_dump()
            assert got == want, (period_name, as_of)
        deleted_week = stats_figures(
            ledger.inputs(resolve_period(PeriodName.WEEK, AS_OF, ACCOUNT.zone), AS_OF, 3600),
            None,
        ).model_dump()
        assert deleted_week["by_status"]["invited"] == 2  # C is gone
        assert deleted_week["counts"]["reminders_due"] == 1  # C's reminder left with C
        assert deleted_week["counts"]["meetings_held"] == 2
    finally:
        await pool.close()


def cases() -> list[tuple[PeriodName, datetime, tuple[datetime | None, datetime | None]]]:
    return [
        (PeriodName.WEEK, AS_OF, (None, None)),
        (PeriodName.TODAY, AS_OF, (None, None)),
        (PeriodName.TODAY, at(21, 11, 30), (None, None)),  # time travel to Wednesday
        (PeriodName.WEEK, at(22, 8, 30), (None, None)),
        (PeriodName.CUSTOM, AS_OF, (at(19, 0), at(23, 0))),
        (PeriodName.CUSTOM, at(20, 12), (at(1, 0), at(30, 0))),
        (PeriodName.TODAY, AS_OF + timedelta(days=3), (None, None)),
    ]


def test_cases_cover_each_period() -> None:
    assert {name for name, _, _ in cases()} == set(PeriodName)
