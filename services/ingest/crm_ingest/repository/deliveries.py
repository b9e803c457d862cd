"""The webhook deliveries log: written in one statement per delivery, listed newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, NamedTuple

from pydantic import Field

from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.deliveries import DeliveryFilter, DeliveryOutcome, DeliveryRow
from crm_servicekit.connection import Conn
from crm_servicekit.instants import StoredInstant


class DeliveryPosition(NamedTuple):
    """Where a page ends in the list's order (newest first): the last row's time and id."""

    received_at: StoredInstant
    id: Annotated[int, Field(ge=1, le=2**63 - 1)]


class ListedDelivery(NamedTuple):
    id: int
    row: DeliveryRow


async def insert_deliveries(conn: Conn, rows: Sequence[DeliveryRow]) -> None:
    if not rows:
        return
    await conn.execute(
        """
        INSERT INTO deliveries
            (account_id, received_at, connector, provider_id, outcome, reason, event_id,
             customer_id)
        SELECT * FROM unnest(
            $1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::uuid[])
        """,
        [row.account_id for row in rows],
        [row.received_at for row in rows],
        [row.connector.value for row in rows],
        [row.provider_id for row in rows],
        [row.outcome.value for row in rows],
        [row.reason for row in rows],
        [row.event_id for row in rows],
        [row.customer_id for row in rows],
    )


async def list_deliveries(
    conn: Conn,
    account_id: str,
    filters: DeliveryFilter,
    limit: int,
    after_key: DeliveryPosition | None,
) -> list[ListedDelivery]:
    """Up to `limit` rows of the account, newest first, after `after_key` when given."""
    rows = await conn.fetch(
        """
        SELECT id, account_id, received_at, connector, provider_id, outcome, reason, event_id,
               customer_id
        FROM deliveries
        WHERE account_id = $1
          AND ($2::text IS NULL OR connector = $2)
          AND ($3::text IS NULL OR outcome = $3)
          AND ($4::timestamptz IS NULL OR received_at >= $4)
          AND ($5::timestamptz IS NULL OR received_at < $5)
          AND ($6::timestamptz IS NULL OR (received_at, id) < ($6, $7::bigint))
        ORDER BY received_at DESC, id DESC
        LIMIT $8
        """,
        account_id,
        filters.connector.value if filters.connector else None,
        filters.outcome.value if filters.outcome else None,
        filters.start,
        filters.end,
        after_key.received_at if after_key else None,
        after_key.id if after_key else None,
        limit,
    )
    return [
        ListedDelivery(
            row["id"],
            DeliveryRow(
                row["account_id"],
                row["received_at"],
                Connector(row["connector"]),
                row["provider_id"],
                DeliveryOutcome(row["outcome"]),
                row["reason"],
                row["event_id"],
                row["customer_id"],
            ),
        )
        for row in rows
    ]


async def purge_deliveries(conn: Conn, before: datetime) -> int:
    status = await conn.execute("DELETE FROM deliveries WHERE received_at < $1", before)
    return int(status.split()[-1])
