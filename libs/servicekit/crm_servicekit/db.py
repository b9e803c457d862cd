"""PostgreSQL access: the asyncpg pool every service uses, and versioned SQL migrations."""

from __future__ import annotations

import asyncio
import contextlib
from itertools import chain
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pydantic_core
from asyncpg.pool import PoolAcquireContext
from pydantic import PostgresDsn
from yoyo import get_backend, read_migrations
from yoyo.migrations import MigrationList

from crm_servicekit.failures import Dependency, unavailable_dependency
from crm_servicekit.settings import ServiceSettings

# Shared tables (idempotency keys, the consumer's state, the outbox) that every service applies
# before its own migrations.
SERVICEKIT_MIGRATIONS = Path(__file__).parent / "migrations"
# Replicas starting together queue on yoyo's lock rather than failing after its 10 s default.
_MIGRATION_LOCK_TIMEOUT_S = 120


def plain_postgres_dsn(dsn: str | PostgresDsn) -> str:
    """The DSN with the bare ``postgresql`` scheme that asyncpg and yoyo (psycopg2) expect.

    Settings accept SQLAlchemy-style schemes such as ``postgresql+asyncpg``; the driver part
    names a library choice, not a different server.
    """
    parts = urlsplit(str(dsn))
    if parts.scheme.split("+")[0] not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL DSN: scheme {parts.scheme!r}")
    return urlunsplit(parts._replace(scheme="postgresql"))


async def create_pool(
    dsn: str | PostgresDsn, *, min_size: int = 1, max_size: int = 10
) -> asyncpg.Pool:
    """A pool whose sessions speak UTC and read json/jsonb as Python values, and that never
    hands out a connection an outage broke (`DiscardingBrokenPool`)."""
    pool = DiscardingBrokenPool(
        plain_postgres_dsn(dsn),
        min_size=min_size,
        max_size=max_size,
        # asyncpg.create_pool's defaults, which it passes to the Pool it builds.
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        init=_init_connection,
        reset=_keep_session,
        # timestamptz values come back in UTC whatever the server's default zone is.
        # Custom plans: asyncpg prepares every statement, and PostgreSQL switches a prepared
        # statement to a generic plan after five runs. Made while a table is still small (a new
        # service, a new account), that plan can scan all of an account's rows by `account_id`
        # alone, and it stays cached on the pooled connection as the table grows: ingest's
        # single events ran at 1,100-1,400/s instead of 3,500-3,800/s when that happened.
        server_settings={"timezone": "UTC", "plan_cache_mode": "force_custom_plan"},
    )
    return await pool


class DiscardingBrokenPool(asyncpg.Pool):
    """An asyncpg pool that terminates a connection whose checkout ended in an error showing
    it broken (failures.py: PostgreSQL unavailable), instead of handing it to the next user.

    On release asyncpg discards a connection only when it is already closed or its reset
    fails; it counts on the reset's statement to find one whose protocol is stuck. Ours
    (`_keep_session`) sends no statement outside a transaction. So a connection whose session
    the server ended while it sat idle (the server's FATAL message read, the end of the
    stream not yet: asyncpg waits for the end of an answer that never comes) would go back to
    the pool as healthy, and each next user would get "cannot switch to state 15; another
    operation (2) is in progress". Deciding on the error its user saw costs no round trip.
    """

    def acquire(self, *, timeout: float | None = None) -> PoolAcquireContext:
        return _Checkout(self, timeout)


class _Checkout(PoolAcquireContext):
    async def __aexit__(self, *exc: object) -> None:
        error = exc[1] if len(exc) > 1 else None
        connection = self.connection
        if isinstance(error, BaseException) and connection is not None and _breaks(error):
            # Already released by asyncpg when it saw the socket close; then nothing is left.
            with contextlib.suppress(asyncpg.InterfaceError):
                connection.terminate()
        await super().__aexit__(*exc)


def _breaks(error: BaseException) -> bool:
    return unavailable_dependency(error) is Dependency.POSTGRES


async def create_service_pool(settings: ServiceSettings) -> asyncpg.Pool:
    """The pool of the service's own database, sized by its settings."""
    return await create_pool(
        settings.database_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
    )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What a connection needs when it goes back to the pool: nothing more than asyncpg does
    anyway (roll back an open transaction, drop listeners). Pooled sessions never LISTEN, SET
    or take session advisory locks (the outbox relay holds its lock on a connection of its
    own), so the default reset query would be one more round trip per checkout for nothing."""


def _json_text(value: object) -> str:
    return pydantic_core.to_json(value).decode()


async def _init_connection(connection: asyncpg.Connection) -> None:
    # pydantic-core's JSON (Rust) rather than the json module: 4 to 6 times faster both ways,
    # and stored events and projections are encoded and decoded on every consumer batch.
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, encoder=_json_text, decoder=pydantic_core.from_json, schema="pg_catalog"
        )


def apply_migrations(dsn: str | PostgresDsn, *migrations_dirs: Path) -> list[str]:
    """Apply servicekit's migrations, then each directory's, in file-name order.

    Returns the ids applied now; a second run applies nothing. Blocking (yoyo uses psycopg2):
    from async code, ``await apply_migrations_in_thread(...)``.
    """
    own = [directory for directory in migrations_dirs if directory != SERVICEKIT_MIGRATIONS]
    directories = [SERVICEKIT_MIGRATIONS, *own]
    for directory in directories:
        if not directory.is_dir():
            raise FileNotFoundError(f"migrations directory not found: {directory}")
    # yoyo lists a directory in file-system order; sorting makes the order the file names'.
    migrations = MigrationList(
        chain.from_iterable(
            sorted(read_migrations(str(directory)), key=lambda m: m.id) for directory in directories
        )
    )
    backend = get_backend(plain_postgres_dsn(dsn))
    try:
        with backend.lock(timeout=_MIGRATION_LOCK_TIMEOUT_S):
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
        return [migration.id for migration in pending]
    finally:
        backend.connection.close()


async def apply_migrations_in_thread(dsn: str | PostgresDsn, *migrations_dirs: Path) -> list[str]:
    """For a service's lifespan: migrations run in a thread, the event loop keeps serving."""
    return await asyncio.to_thread(apply_migrations, dsn, *migrations_dirs)
