"""Ingest's SQL against a real PostgreSQL: retention of de-duplication records, identities."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from crm_ingest import repository
from crm_ingest.main import MIGRATIONS
from crm_ingest.policy.identities import Identity, IdentityKind
from crm_servicekit.db import apply_migrations_in_thread, create_pool

from .support import T0


@pytest.fixture
async def pool(new_database: str) -> AsyncIterator[asyncpg.Pool]:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    created = await create_pool(new_database)
    yield created
    await created.close()


async def test_records_older_than_the_retention_are_purged(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await repository.insert_records(conn, "acme", {"old": "h1"}, T0 - timedelta(days=31))
        await repository.insert_records(conn, "acme", {"recent": "h2"}, T0 - timedelta(days=29))
        purged = await repository.purge_records(conn, T0 - timedelta(days=30))
        left = await repository.read_records(conn, "acme", ["old", "recent"])
    assert purged == 1
    assert set(left) == {"recent"}


async def test_bookings_first_resolved_before_the_retention_are_forgotten(
    pool: asyncpg.Pool,
) -> None:
    kari, ola = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        await repository.record_booking_customers(
            conn, "acme", {"calendly:old": kari}, T0 - timedelta(days=366)
        )
        await repository.record_booking_customers(
            conn, "acme", {"calendly:recent": ola}, T0 - timedelta(days=364)
        )
        purged = await repository.purge_booking_customers(conn, T0 - timedelta(days=365))
        left = await repository.live_booking_customers(
            conn, "acme", ["calendly:old", "calendly:recent"]
        )
    assert purged == 1
    assert left == {"calendly:recent": ola}


async def test_first_link_wins_and_release_frees_identities(pool: asyncpg.Pool) -> None:
    kari, ola = uuid.uuid4(), uuid.uuid4()
    email = Identity(IdentityKind.EMAIL, "kari@example.com")
    handle = Identity(IdentityKind.HANDLE, "ig:kari")
    async with pool.acquire() as conn:
        assert await repository.link_identities(conn, "acme", [email], kari, T0) == {email}
        assert await repository.link_identities(conn, "acme", [email, handle], ola, T0) == {handle}
        assert await repository.linked_customers(conn, "acme", [email, handle]) == {
            email: kari,
            handle: ola,
        }
        # Another account has identities of its own.
        assert await repository.linked_customers(conn, "beta", [email]) == {}
        assert await repository.release_identities(conn, [("acme", kari)]) == 1
        assert await repository.linked_customers(conn, "acme", [email, handle]) == {handle: ola}


async def test_customer_ids_belong_to_the_first_account_naming_them(pool: asyncpg.Pool) -> None:
    customer = uuid.uuid4()
    async with pool.acquire() as conn:
        assert await repository.remember_customers(conn, "acme", [customer], T0) == {
            customer: "acme"
        }
        assert await repository.remember_customers(conn, "beta", [customer], T0) == {
            customer: "acme"
        }
