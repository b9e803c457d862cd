"""One replica of a service at a time: a PostgreSQL session advisory lock, held on a
connection of its own for as long as that connection lives.

The service's database is the one thing every replica already shares, so it decides which
replica does what only one should (the outbox relay, the lag gauge) without a coordinator of
its own. Pooled connections never hold such a lock: returned to the pool they would keep it
for whichever task takes them next.
"""

from __future__ import annotations

import zlib
from typing import Any

import asyncpg


def advisory_lock_key(name: str) -> int:
    """The lock's key for a name; crc32 keeps it stable across processes and versions."""
    return zlib.crc32(name.encode())


class SessionLock:
    """A lock this process holds while `held()` says so; standing by costs one idle
    connection. Whoever holds it keeps it until `release()` or until its connection dies
    (the server then frees it for another replica)."""

    def __init__(self, dsn: str, name: str) -> None:
        self.dsn, self.name, self.key = dsn, name, advisory_lock_key(name)
        self._conn: asyncpg.Connection[Any] | None = None
        self._holding = False

    async def held(self) -> bool:
        """True while this process holds the lock, taking it when it is free; False while
        another one holds it. Raises when the database cannot say (the lock is then let go:
        a lost connection has lost it anyway)."""
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn, self._holding = await asyncpg.connect(self.dsn), False
            if self._holding:
                # The lock lives as long as this connection: a round trip shows it still does.
                await self._conn.execute("SELECT 1")
            else:
                taken = await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key)
                self._holding = bool(taken)
            return self._holding
        except BaseException:
            await self.release()
            raise

    async def release(self) -> None:
        conn, self._conn, self._holding = self._conn, None, False
        if conn is not None:
            try:
                await conn.close(timeout=5)
            except BaseException:
                conn.terminate()  # a connection that cannot say goodbye is simply dropped
                raise
