"""Two scheduler replicas against one database announce each reminder due exactly once."""

from __future__ import annotations

import asyncio

from crm_rules import repository as repo
from crm_rules.main import MIGRATIONS
from crm_rules.policy.reminder import Reminder
from crm_rules.scheduler import notify_due_once, run_scheduler
from crm_servicekit.clock import FixedClock
from crm_servicekit.db import apply_migrations_in_thread, create_pool

from .history import T0, M, manual_reminder
from .kafka_io import eventually

COUNT = 300


def due_reminder(n: int) -> Reminder:
    return manual_reminder(T0 + n * M, f"api-{n}")


async def test_two_replicas_announce_each_due_reminder_once(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pools = [await create_pool(new_database, max_size=4) for _ in range(2)]
    try:
        async with pools[0].acquire() as conn:
            await repo.save_reminders(conn, [due_reminder(n) for n in range(COUNT)])
            # Not due yet at the clock's time: must not be announced.
            await repo.save_reminders(conn, [due_reminder(COUNT + 10_000)])
        clock = FixedClock(T0 + COUNT * M)
        claimed: list[list[int]] = [[], []]

        async def replica(index: int) -> None:
            while (n := await notify_due_once(pools[index], clock, topic="t", batch=7)) > 0:
                claimed[index].append(n)

        await asyncio.gather(replica(0), replica(1), replica(0), replica(1))
        assert sum(map(sum, claimed)) == COUNT
        assert claimed[0], "the first replica took part"
        assert claimed[1], "the second replica took part"
        async with pools[0].acquire() as conn:
            notices = await conn.fetch(
                "SELECT event_id FROM outbox WHERE event_name = 'REMINDER_DUE'"
            )
            pending = await conn.fetchval(
                "SELECT count(*) FROM reminders WHERE due_notified_for IS NULL"
            )
        assert len(notices) == COUNT
        assert len({row["event_id"] for row in notices}) == COUNT
        assert pending == 1  # the one scheduled after the clock
    finally:
        for pool in pools:
            await pool.close()


async def test_a_snoozed_reminder_is_announced_again_at_its_new_time(new_database: str) -> None:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    pool = await create_pool(new_database, max_size=2)
    try:
        reminder = due_reminder(0)
        async with pool.acquire() as conn:
            await repo.save_reminders(conn, [reminder])
        clock = FixedClock(T0 + M)
        stop = asyncio.Event()
        loop = asyncio.create_task(
            run_scheduler(pool, clock, stop, topic="t", batch=10, interval_s=0.05)
        )

        async def notices() -> int:
            return int(await pool.fetchval("SELECT count(*) FROM outbox"))

        assert await eventually(notices, lambda n: n == 1, within_s=30) == 1
        async with pool.acquire() as conn:
            await repo.save_reminders(
                conn, [reminder.model_copy(update={"scheduled_for": T0 + 5 * M})]
            )
        clock.set(T0 + 6 * M)
        assert await eventually(notices, lambda n: n == 2, within_s=30) == 2
        stop.set()
        await loop
    finally:
        await pool.close()
