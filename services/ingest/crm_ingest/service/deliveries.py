"""The webhook deliveries log: recording what each delivery item came to, and listing it.

The log is written after the delivery's events are published, so failing to write it loses
nothing the provider sent: it is logged and counted, never the delivery's failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog
from prometheus_client import Counter

from crm_ingest import repository
from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.deliveries import DeliveryFilter, DeliveryRow
from crm_ingest.repository import DeliveryPosition, ListedDelivery
from crm_ingest.schemas import DeliveryItem, DeliveryPage
from crm_servicekit.pagination import CursorKind, Keyset

log = structlog.get_logger(__name__)

DELIVERIES_CURSOR = CursorKind("/api/hooks/deliveries", DeliveryPosition)
# The log must not hold a delivery's answer long when PostgreSQL is slow or away.
WRITE_TIMEOUT_S = 2.0

CONNECTOR_ITEMS = Counter(
    "crm_ingest_connector_items",
    "Delivery items by connector and what they came to (the deliveries log's outcome).",
    ["connector", "outcome"],
)
UNOWNED_ITEMS = Counter(
    "crm_ingest_connector_unowned",
    "Delivery items addressed to a page, Instagram account or number no account lists.",
    ["connector"],
)
REFUSED_DELIVERIES = Counter(
    "crm_ingest_connector_refused_deliveries",
    "Deliveries refused before any account was known (a bad Meta signature): not listed.",
    ["connector", "reason"],
)
LOG_FAILURES = Counter(
    "crm_ingest_deliveries_log_failures",
    "Deliveries log rows that could not be written (their events were published).",
)


@dataclass(frozen=True)
class Deliveries:
    pool: asyncpg.Pool

    async def record(self, rows: Sequence[DeliveryRow]) -> None:
        """Count the rows and write them to the log; a failure to write is logged, not raised."""
        for row in rows:
            CONNECTOR_ITEMS.labels(row.connector.value, row.outcome.value).inc()
        if not rows:
            return
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_S), self.pool.acquire() as conn:
                await repository.insert_deliveries(conn, rows)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as error:
            LOG_FAILURES.inc(len(rows))
            log.warning(
                "deliveries log not written",
                rows=len(rows),
                account_id=rows[0].account_id,
                error=repr(error),
            )

    async def list(
        self, account_id: str, filters: DeliveryFilter, keyset: Keyset[DeliveryPosition]
    ) -> DeliveryPage:
        """A page of the account's log, newest first; its cursor is the last row's position."""
        async with self.pool.acquire() as conn:
            found = await repository.list_deliveries(
                conn, account_id, filters, keyset.limit + 1, keyset.after
            )
        page = keyset.page(
            found, lambda listed: DeliveryPosition(listed.row.received_at, listed.id)
        )
        return DeliveryPage(
            items=[_item(listed) for listed in page.items], next_cursor=page.next_cursor
        )

    async def purge(self, before: datetime) -> int:
        async with self.pool.acquire() as conn:
            return await repository.purge_deliveries(conn, before)

    def count_unowned(self, connector: Connector, n: int = 1) -> None:
        """Items addressed to an id no account lists: they have no account's log to go to."""
        UNOWNED_ITEMS.labels(connector.value).inc(n)

    def count_refused_delivery(self, connector: Connector, reason: str) -> None:
        """A delivery refused before any account was known: counted and logged, not listed."""
        REFUSED_DELIVERIES.labels(connector.value, reason).inc()
        log.info("delivery refused", connector=connector.value, reason=reason)


def _position(listed: ListedDelivery) -> DeliveryPosition:
    return DeliveryPosition(listed.row.received_at, listed.id)


def _item(listed: ListedDelivery) -> DeliveryItem:
    row = listed.row
    return DeliveryItem(
        received_at=row.received_at,
        connector=row.connector,
        provider_id=row.provider_id,
        outcome=row.outcome,
        reason=row.reason,
        event_id=row.event_id,
        customer_id=row.customer_id,
    )
