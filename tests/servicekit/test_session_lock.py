"""crm_servicekit.session_lock on a real PostgreSQL: one holder at a time, and a holder whose
connection dies loses the lock to the next one that asks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from crm_servicekit.session_lock import SessionLock

from .kafka_support import eventually


async def test_one_holder_at_a_time_and_the_lock_passes_on_when_released(
    new_database: str,
) -> None:
    first, second = SessionLock(new_database, "job"), SessionLock(new_database, "job")
    elsewhere = SessionLock(new_database, "another job")
    try:
        assert await first.held()
        assert not await second.held()
        assert await first.held()  # asking again keeps it
        assert await elsewhere.held()  # a lock of another name is another lock
        await first.release()
        assert await second.held()
        assert not await first.held()
    finally:
        for lock in (first, second, elsewhere):
            await lock.release()


async def test_a_holder_whose_connection_dies_loses_the_lock(new_database: str) -> None:
    first, second = SessionLock(new_database, "job"), SessionLock(new_database, "job")
    admin = await asyncpg.connect(new_database)
    try:
        assert await first.held()
        assert not await second.held()
        holder = await admin.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted",
            first.key,
        )
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", holder)
        await eventually(second.held, bool, within_s=30)
        # The first one finds its connection gone (that answer raises), then asks anew.
        assert not await eventually(_asked_again(first), lambda held: held is not None)
    finally:
        await admin.close()
        for lock in (first, second):
            await lock.release()


def _asked_again(lock: SessionLock) -> Callable[[], Awaitable[bool | None]]:
    async def ask() -> bool | None:
        try:
            return await lock.held()
        except Exception:  # whichever way the client finds its connection closed under it
            return None

    return ask
