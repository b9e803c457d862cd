"""The deliveries log's SQL against a real PostgreSQL: one insert, keyset pages, the purge."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from crm_ingest import repository
from crm_ingest.main import MIGRATIONS
from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.deliveries import DeliveryFilter, DeliveryOutcome, DeliveryRow
from crm_servicekit.db import apply_migrations_in_thread, create_pool

from .support import T0


@pytest.fixture
async def pool(new_database: str) -> AsyncIterator[asyncpg.Pool]:
    await apply_migrations_in_thread(new_database, MIGRATIONS)
    created = await create_pool(new_database)
    yield created
    await created.close()


def row(minutes: int, **fields: object) -> DeliveryRow:
    values: dict[str, object] = {
        "account_id": "acme",
        "received_at": T0 + timedelta(minutes=minutes),
        "connector": Connector.DM,
        "provider_id": f"p-{minutes}",
        "outcome": DeliveryOutcome.ACCEPTED,
        "reason": None,
        "event_id": f"e-{minutes}",
        "customer_id": None,
    }
    values.update(fields)
    return DeliveryRow(**values)  # type: ignore[arg-type]


async def test_rows_come_back_as_written_newest_first(pool: asyncpg.Pool) -> None:
    customer = uuid.uuid4()
    written = [
        row(0, customer_id=customer),
        row(2, outcome=DeliveryOutcome.REJECTED, reason="body.sender: Field required"),
        row(1, connector=Connector.CAPI_LEAD, event_id=None),
        row(3, account_id="beta"),
    ]
    async with pool.acquire() as conn:
        await repository.insert_deliveries(conn, written)
        listed = await repository.list_deliveries(conn, "acme", DeliveryFilter(), 10, None)
    assert [item.row for item in listed] == [written[1], written[2], written[0]]


async def test_filters_narrow_the_list(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await repository.insert_deliveries(
            conn,
            [
                row(0),
                row(1, connector=Connector.CAPI_LEAD),
                row(2, outcome=DeliveryOutcome.FAILED),
                row(3),
            ],
        )
        by_connector = await repository.list_deliveries(
            conn, "acme", DeliveryFilter(connector=Connector.CAPI_LEAD), 10, None
        )
        by_outcome = await repository.list_deliveries(
            conn, "acme", DeliveryFilter(outcome=DeliveryOutcome.FAILED), 10, None
        )
        # from inclusive, to exclusive
        window = DeliveryFilter(start=T0 + timedelta(minutes=1), end=T0 + timedelta(minutes=3))
        in_window = await repository.list_deliveries(conn, "acme", window, 10, None)
    assert [item.row.provider_id for item in by_connector] == ["p-1"]
    assert [item.row.provider_id for item in by_outcome] == ["p-2"]
    assert [item.row.provider_id for item in in_window] == ["p-2", "p-1"]


async def test_pages_continue_after_the_key_even_among_equal_times(pool: asyncpg.Pool) -> None:
    same_time = [row(0, provider_id=f"same-{n}") for n in range(5)]
    async with pool.acquire() as conn:
        await repository.insert_deliveries(conn, same_time)
        seen: list[str] = []
        after = None
        while True:
            page = await repository.list_deliveries(conn, "acme", DeliveryFilter(), 2, after)
            if not page:
                break
            seen += [item.row.provider_id for item in page]
            last = page[-1]
            after = repository.DeliveryPosition(last.row.received_at, last.id)
    assert sorted(seen) == sorted(r.provider_id for r in same_time)
    assert len(seen) == len(set(seen))


async def test_the_purge_drops_rows_received_before_the_cutoff(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await repository.insert_deliveries(
            conn, [row(-60 * 24 * 8, provider_id="old"), row(-60 * 24 * 6, provider_id="recent")]
        )
        purged = await repository.purge_deliveries(conn, T0 - timedelta(days=7))
        left = await repository.list_deliveries(conn, "acme", DeliveryFilter(), 10, None)
    assert purged == 1
    assert [item.row.provider_id for item in left] == ["recent"]


async def test_nothing_to_insert_writes_nothing(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await repository.insert_deliveries(conn, [])
        count = await conn.fetchval("SELECT count(*) FROM deliveries")
    assert count == 0
