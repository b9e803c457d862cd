"""What the tests of rebuilding a service's store from the topic share: a database of its own
for each store, a consumer group that starts at the topic's beginning, and knowing when the
first store has sent everything it announced (docs/architecture.md, rebuilding from the topic)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from crm_devstack.databases import create_database, drop_database
from crm_servicekit.db import plain_postgres_dsn


@asynccontextmanager
async def own_database(postgres_url: str, prefix: str) -> AsyncIterator[str]:
    """A new database named after `prefix`, dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = await create_database(postgres_url, name)
    try:
        yield url
    finally:
        await drop_database(postgres_url, name)


def rebuild_group(service: str) -> str:
    """A consumer group of its own starts at the topic's beginning: the group reset a rebuild
    needs, without touching the offsets of the group the first store left behind."""
    return f"{service}-rebuild-{uuid.uuid4().hex[:8]}"


async def outbox_sent(dsn: str) -> bool:
    """Whether the store's relay has sent every event it announced onto the topic."""
    conn = await asyncpg.connect(plain_postgres_dsn(dsn))
    try:
        return bool(await conn.fetchval("SELECT count(*) = 0 FROM outbox"))
    finally:
        await conn.close()
