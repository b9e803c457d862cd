"""Migration 0003 on a database whose customers hold several values of a kind."""

from __future__ import annotations

import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from crm_ingest.main import MIGRATIONS
from crm_schemas.identity import email_sha256, phone_sha256
from crm_servicekit.db import apply_migrations_in_thread

from .support import T0


async def test_the_earliest_linked_value_of_each_kind_is_kept(
    new_database: str, tmp_path: Path
) -> None:
    before = tmp_path / "migrations"
    before.mkdir()
    for earlier in ("0001_ingest.sql", "0002_deliveries.sql"):
        shutil.copy(MIGRATIONS / earlier, before / earlier)
    await apply_migrations_in_thread(new_database, before)
    kari, ola = uuid.uuid4(), uuid.uuid4()
    rows = [
        # Kari: two emails with their hashes, a hashed-only third; two phones; two ig handles,
        # a whatsapp handle and two platform ids.
        ("email", "kari@example.com", kari, 2),
        ("email_sha256", email_sha256("kari@example.com"), kari, 2),
        ("email", "kari.old@example.com", kari, 1),
        ("email_sha256", email_sha256("kari.old@example.com"), kari, 1),
        ("email_sha256", email_sha256("kari.hashed@example.com"), kari, 3),
        ("phone", "+4741234567", kari, 5),
        ("phone_sha256", phone_sha256("+4741234568"), kari, 4),
        ("phone", "+4741234568", kari, 4),
        ("handle", "ig:kari", kari, 6),
        ("handle", "ig:kari_n", kari, 7),
        ("handle", "whatsapp:kari", kari, 8),
        ("platform_id", "ig:1", kari, 9),
        ("platform_id", "ig:2", kari, 10),
        # Ola: one of each, untouched.
        ("email", "ola@example.com", ola, 1),
        ("handle", "ig:ola", ola, 1),
    ]
    conn = await asyncpg.connect(new_database)
    try:
        await conn.executemany(
            "INSERT INTO identities (account_id, kind, value, customer_id, linked_at)"
            " VALUES ('acme', $1, $2, $3, $4)",
            [(kind, value, who, T0 + timedelta(minutes=m)) for kind, value, who, m in rows],
        )
        await apply_migrations_in_thread(new_database, MIGRATIONS)
        left = await conn.fetch("SELECT kind, value, customer_id FROM identities")
        kept = {(row["kind"], row["value"], row["customer_id"]) for row in left}
        assert kept == {
            ("email", "kari.old@example.com", kari),
            ("email_sha256", email_sha256("kari.old@example.com"), kari),
            ("phone", "+4741234568", kari),
            ("phone_sha256", phone_sha256("+4741234568"), kari),
            ("handle", "ig:kari", kari),
            ("handle", "whatsapp:kari", kari),
            ("platform_id", "ig:1", kari),
            ("platform_id", "ig:2", kari),
            ("email", "ola@example.com", ola),
            ("handle", "ig:ola", ola),
        }
        # From now on the database itself refuses a second email for a customer.
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO identities (account_id, kind, value, customer_id, linked_at)"
                " VALUES ('acme', 'email', 'kari.new@example.com', $1, $2)",
                kari,
                T0,
            )
    finally:
        await conn.close()
