"""servicekit_0006: an outbox whose relay marked rows sent becomes one whose every row is still
to send, on a real PostgreSQL."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from yoyo import get_backend, read_migrations
from yoyo.migrations import MigrationList

from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, plain_postgres_dsn
from crm_servicekit.outbox import enqueue

from .kafka_support import message_sent

pytestmark = pytest.mark.integration

DELETES_SENT_ROWS = "servicekit_0006_outbox_deletes_sent_rows"


def apply_before(dsn: str, migration_id: str) -> None:
    earlier = [m for m in read_migrations(str(SERVICEKIT_MIGRATIONS)) if m.id < migration_id]
    backend = get_backend(plain_postgres_dsn(dsn))
    try:
        with backend.lock():
            backend.apply_migrations(backend.to_apply(MigrationList(earlier)))
    finally:
        backend.connection.close()


async def test_rows_marked_sent_go_and_the_rows_to_send_stay_in_order(new_database: str) -> None:
    apply_before(new_database, DELETES_SENT_ROWS)
    events = [message_sent(uuid.uuid4(), n) for n in range(5)]
    conn = await asyncpg.connect(new_database)
    try:
        await conn.executemany(
            "INSERT INTO outbox (account_id, event_id, event_name, topic, value, sent_at)"
            " VALUES ($1, $2, 'MESSAGE_SENT', 'crm.events.v1', '{}', $3)",
            [(e.account_id, e.event_id, None if n in (1, 3) else e.timestamp)
             for n, e in enumerate(events)],
        )  # fmt: skip
        assert apply_migrations(new_database, SERVICEKIT_MIGRATIONS) == [DELETES_SENT_ROWS]
        left = await conn.fetch("SELECT event_id FROM outbox ORDER BY id")
        assert [row["event_id"] for row in left] == [events[1].event_id, events[3].event_id]
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'outbox'"
        )
        assert "sent_at" not in {row["column_name"] for row in columns}
        # What comes after is enqueued as before, behind the rows still to send.
        assert await enqueue(conn, [message_sent(uuid.uuid4(), 9)]) == 1
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 3
    finally:
        await conn.close()
