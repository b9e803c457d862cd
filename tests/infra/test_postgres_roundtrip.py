"""A row written through asyncpg into a fresh database reads back unchanged."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

pytestmark = pytest.mark.integration


async def test_row_round_trip_in_new_database(new_database: str) -> None:
    connection = await asyncpg.connect(new_database)
    try:
        assert (
            await connection.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            == 0
        )
        await connection.execute(
            "CREATE TABLE processed_events"
            " (account_id uuid, event_id uuid, PRIMARY KEY (account_id, event_id))"
        )
        account_id, event_id = uuid.uuid4(), uuid.uuid4()
        insert = (
            "INSERT INTO processed_events VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id"
        )
        assert await connection.fetchval(insert, account_id, event_id) == event_id
        # A second insert of the same event is recognized as already done.
        assert await connection.fetchval(insert, account_id, event_id) is None
        rows = await connection.fetch("SELECT account_id, event_id FROM processed_events")
        assert [tuple(row) for row in rows] == [(account_id, event_id)]
    finally:
        await connection.close()


async def test_each_new_database_is_distinct(new_database: str, postgres_url: str) -> None:
    connection = await asyncpg.connect(postgres_url)
    try:
        names = {row[0] for row in await connection.fetch("SELECT datname FROM pg_database")}
    finally:
        await connection.close()
    assert new_database.rsplit("/", 1)[1] in names
    # The launcher (and the other sources) create one database per service.
    assert {"ingest", "customers", "rules", "nba", "stats"} <= names
