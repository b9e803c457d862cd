"""next_actions_overdue follows NBA_CHANGED alone: the customers service announces no change
of the card's mirrored next action, so the store keeps the choices that decide it."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import pytest

from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import Status
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.db import apply_migrations_in_thread, create_pool
from crm_servicekit.idempotency_store import claim_new
from crm_stats.main import MIGRATIONS
from crm_stats.policy.periods import PeriodName, resolve_period
from crm_stats.repository.figures import stats_inputs
from crm_stats.service import record_batch

from .scripted_week import AS_OF, OSLO, C, at, chose_next_action, moved, nba_changed, state

ACCOUNT = Account(account_id=OSLO, time_zone="Europe/Oslo")
# C, invited, and the NBA's and a person's choices of its next action in turn; AS_OF is
# Sunday 25 October 22:45Z. Each step with whether C counts as overdue at AS_OF after it.
STEPS: list[tuple[EventEnvelope, int]] = [
    (moved(C, at(21, 11), state(Status.INVITED)), 0),
    (nba_changed(C, at(21, 11), at(22, 11)), 1),  # the NBA's due date is before AS_OF
    (nba_changed(C, at(22, 8), at(26, 8)), 0),  # moved past AS_OF
    (nba_changed(C, at(22, 9), at(23, 9)), 1),  # and back
    (chose_next_action(C, at(22, 10), at(27, 9)), 0),  # a person's choice stands
    (nba_changed(C, at(23, 8), at(24, 8)), 0),  # the NBA moves behind it: not shown
    (nba_changed(C, at(23, 9), None, action="none"), 0),
    (chose_next_action(C, at(23, 10), at(25, 12)), 1),  # the person's own date passes
    (nba_changed(C, at(25, 13), at(26, 9)), 0),  # judged after it: the NBA's shows
    (moved(C, at(25, 14), state(Status.SIGNED_UP)), 0),
    (nba_changed(C, at(25, 15), at(25, 16)), 0),  # overdue, but no longer in an open stage
]


async def overdue(pool: asyncpg.Pool) -> int:
    period = resolve_period(PeriodName.WEEK, AS_OF, ACCOUNT.zone)
    inputs = await stats_inputs(pool, ACCOUNT, period, AS_OF)
    return inputs.next_actions_overdue


async def recorded(pool: asyncpg.Pool, events: Sequence[EventEnvelope]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await record_batch(conn, await claim_new(conn, list(events)), Accounts([ACCOUNT]))


async def test_each_nba_changed_moves_the_count_as_the_card_shows_it(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    try:
        counted = []
        for step, _ in STEPS:
            await recorded(pool, [step])
            counted.append(await overdue(pool))
        assert counted == [want for _, want in STEPS]
    finally:
        await pool.close()


@pytest.mark.parametrize("cut", [2, 5, 8])
async def test_batches_cut_anywhere_end_at_the_same_count(new_database: str, cut: int) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database)
    events = [step for step, _ in STEPS]
    try:
        await recorded(pool, events[:cut])
        assert await overdue(pool) == STEPS[cut - 1][1]
        await recorded(pool, events[cut:])
        assert await overdue(pool) == STEPS[-1][1]
    finally:
        await pool.close()
