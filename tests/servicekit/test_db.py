from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from crm_servicekit.cli import app
from crm_servicekit.db import (
    SERVICEKIT_MIGRATIONS,
    apply_migrations,
    apply_migrations_in_thread,
    create_pool,
    create_service_pool,
    plain_postgres_dsn,
)

from .sample_service import sample_settings

SERVICEKIT_IDS = sorted(path.stem for path in SERVICEKIT_MIGRATIONS.glob("*.sql"))


def service_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    # Written in reverse so that directory order differs from name order.
    (folder / "0002_add_note.sql").write_text("ALTER TABLE widgets ADD COLUMN note text;\n")
    (folder / "0001_widgets.sql").write_text(
        "CREATE TABLE widgets (id bigint PRIMARY KEY, data jsonb NOT NULL);\n"
    )
    return folder


async def table_names(dsn: str) -> set[str]:
    connection = await asyncpg.connect(plain_postgres_dsn(dsn))
    try:
        rows = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await connection.close()
    return {row["table_name"] for row in rows}


@pytest.mark.integration
async def test_migrations_apply_in_name_order_once(new_database: str, tmp_path: Path) -> None:
    folder = service_migrations(tmp_path)
    applied = await apply_migrations_in_thread(new_database, folder)
    assert applied == [*SERVICEKIT_IDS, "0001_widgets", "0002_add_note"]
    assert {"idempotency_keys", "widgets"} <= await table_names(new_database)
    assert apply_migrations(new_database, folder) == []


@pytest.mark.integration
async def test_a_new_migration_is_applied_on_the_next_run(
    new_database: str, tmp_path: Path
) -> None:
    folder = service_migrations(tmp_path)
    apply_migrations(new_database, folder)
    (folder / "0003_gadgets.sql").write_text("CREATE TABLE gadgets (id bigint PRIMARY KEY);\n")
    assert apply_migrations(new_database, folder) == ["0003_gadgets"]
    assert "gadgets" in await table_names(new_database)


@pytest.mark.integration
async def test_a_failing_migration_leaves_nothing_half_done(
    new_database: str, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "0001_broken.sql").write_text(
        "CREATE TABLE half (id int);\nINSERT INTO nowhere VALUES (1);\n"
    )
    with pytest.raises(Exception, match="nowhere"):
        apply_migrations(new_database, folder)
    assert "half" not in await table_names(new_database)


def test_missing_migrations_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="absent"):
        apply_migrations("postgresql://nobody@127.0.0.1:1/none", tmp_path / "absent")


@pytest.mark.parametrize(
    ("given", "plain"),
    [
        ("postgresql+asyncpg://u:p@h:5432/db", "postgresql://u:p@h:5432/db"),
        ("postgres://u@h/db?sslmode=disable", "postgresql://u@h/db?sslmode=disable"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
    ],
)
def test_dsn_scheme_is_made_plain(given: str, plain: str) -> None:
    assert plain_postgres_dsn(given) == plain


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL DSN"):
        plain_postgres_dsn("mysql://u@h/db")


PLAN_PROBE = """
    CREATE TABLE records (account_id text, event_id text, body text,
                          PRIMARY KEY (account_id, event_id));
    PREPARE lookup(text, text[]) AS
        SELECT body FROM records WHERE account_id = $1 AND event_id = ANY($2);
"""


async def plan_after_growth(connection: asyncpg.Connection) -> str:
    """The plan a statement prepared on an empty table uses once one account has 20,000 rows."""
    await connection.execute(PLAN_PROBE)
    for _ in range(8):  # PostgreSQL considers a generic plan from the sixth run on
        await connection.execute("EXECUTE lookup('acme', ARRAY['e1', 'e2'])")
    await connection.execute(
        "INSERT INTO records SELECT 'acme', 'e' || n, 'x' FROM generate_series(1, 20000) n"
    )
    rows = await connection.fetch("EXPLAIN EXECUTE lookup('acme', ARRAY['e1', 'e2'])")
    return "\n".join(row[0] for row in rows)


@pytest.mark.integration
async def test_pool_plans_each_statement_for_its_values(new_database: str) -> None:
    """A generic plan made while a table was small can scan all of an account's rows once it
    has grown (measured in ingest's benchmark: a bitmap scan on account_id alone, a third of
    the speed); the pool's sessions plan every run for its values instead."""
    pool = await create_pool(new_database, min_size=1, max_size=1)
    try:
        async with pool.acquire() as connection:
            assert await connection.fetchval("SHOW plan_cache_mode") == "force_custom_plan"
            plan = await plan_after_growth(connection)
            await connection.execute("DROP TABLE records; DEALLOCATE lookup")
    finally:
        await pool.close()
    # Planned with this run's values ('acme', not $1), on the table as it is now.
    assert "Index Cond: ((account_id = 'acme'::text) AND (event_id = ANY" in plan, plan


@pytest.mark.integration
async def test_pool_speaks_utc_and_json(new_database: str, tmp_path: Path) -> None:
    apply_migrations(new_database, service_migrations(tmp_path))
    settings = sample_settings(
        database_url=new_database.replace("postgresql://", "postgresql+asyncpg://", 1),
        db_pool_min_size=2,
        db_pool_max_size=3,
    )
    pool = await create_service_pool(settings)
    try:
        async with pool.acquire() as connection:
            assert await connection.fetchval("SHOW timezone") == "UTC"
            moment = await connection.fetchval("SELECT '2025-06-01 12:00+02'::timestamptz")
            assert moment == datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
            assert moment.utcoffset().total_seconds() == 0
            document = {"tags": ["a", "b"], "nested": {"n": 1}}
            await connection.execute("INSERT INTO widgets (id, data) VALUES (1, $1)", document)
            assert await connection.fetchval("SELECT data FROM widgets WHERE id = 1") == document
            assert await connection.fetchval("SELECT '[1, 2]'::json") == [1, 2]
            raw = await connection.fetchval("SELECT data::text FROM widgets WHERE id = 1")
            assert json.loads(raw) == document
        assert (pool.get_min_size(), pool.get_max_size()) == (2, 3)
    finally:
        await pool.close()


@pytest.mark.integration
def test_migrate_command(new_database: str, tmp_path: Path) -> None:
    folder = service_migrations(tmp_path)
    runner = CliRunner()
    first = runner.invoke(app, ["migrate", "--dsn", new_database, "--dir", str(folder)])
    assert first.exit_code == 0, first.output
    assert "0001_widgets, 0002_add_note" in first.stdout
    again = runner.invoke(app, ["migrate", "--dsn", new_database, "--dir", str(folder)])
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "applied 0 migration(s)"


@pytest.mark.integration
def test_migrate_command_picks_the_database_on_the_server(
    new_database: str, postgres_url: str
) -> None:
    database = new_database.rsplit("/", 1)[-1].split("?")[0]
    result = CliRunner().invoke(app, ["migrate", "--dsn", postgres_url, "--database", database])
    assert result.exit_code == 0, result.output
    assert "servicekit_0001_idempotency_keys" in result.stdout
