"""The accounts' settings as ingest applies them: the default_region in force at an event's
timestamp, from the settings history its consumer records (docs/domain.md, Accounts).

The store is the truth; requests read an account's history through a cache of a couple of
seconds. Ingest replicas each consume part of the topic's partitions, so the replica that
records a change is not always the one serving the account's next request: only an expiry
bounds how long another replica keeps the old history, and one read per account every couple
of seconds keeps the request path at no more than one indexed query. The recording replica
forgets its copy at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from crm_schemas.account_settings import SettingsHistory
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.settings_store import record_settings_changes, settings_history

# How long a replica may apply an account's settings history after reading it.
SETTINGS_TTL_S = 2.0


@dataclass(frozen=True)
class _Held:
    expires: float
    reading: asyncio.Task[SettingsHistory]


class SettingsCache:
    """Each account's settings history, read at most once per ``ttl_s`` per account; requests
    that ask while it is being read wait for that one read."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        ttl_s: float = SETTINGS_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._held: dict[str, _Held] = {}

    async def history(self, account: Account) -> SettingsHistory:
        held = self._held.get(account.account_id)
        if held is None or self._monotonic() >= held.expires:
            held = self._read(account)
        # Shielded: a request that goes away does not cancel the read others wait for.
        return await asyncio.shield(held.reading)

    def forget(self, account_ids: Iterable[str]) -> None:
        for account_id in account_ids:
            self._held.pop(account_id, None)

    def _read(self, account: Account) -> _Held:
        reading = asyncio.get_running_loop().create_task(self._fetch(account))
        held = _Held(self._monotonic() + self._ttl_s, reading)
        self._held[account.account_id] = held

        def drop_if_failed(task: asyncio.Task[SettingsHistory]) -> None:
            # A failed read (PostgreSQL away) is not kept: the next request reads again.
            failed = task.cancelled() or task.exception() is not None
            if failed and self._held.get(account.account_id) is held:
                del self._held[account.account_id]

        reading.add_done_callback(drop_if_failed)
        return held

    async def _fetch(self, account: Account) -> SettingsHistory:
        async with self._pool.acquire() as conn:
            return await settings_history(conn, account)


async def record_changes(
    conn: Conn, events: Sequence[EventEnvelope], cache: SettingsCache | None
) -> None:
    """Keep the batch's ACCOUNT_SETTINGS_CHANGED; this replica's requests read the changed
    accounts' histories afresh."""
    changed = await record_settings_changes(conn, events)
    if cache is not None:
        cache.forget(changed)
