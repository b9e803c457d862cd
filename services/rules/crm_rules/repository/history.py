"""The customers' events as the rules keep them (the history a replay folds)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from crm_rules.policy.channel_window import InboundMessage
from crm_rules.policy.customer_event import INBOUND_MESSAGES, CustomerEvent
from crm_rules.repository.customers import CustomerKey, of_customers
from crm_schemas.contact import Source
from crm_servicekit.connection import Conn


async def events_of_many(
    conn: Conn, keys: Sequence[CustomerKey]
) -> dict[CustomerKey, list[CustomerEvent]]:
    select = "SELECT x.account_id, x.customer_id, x.body FROM customer_events x"
    rows = await of_customers(conn, select, keys)
    found: dict[CustomerKey, list[CustomerEvent]] = {key: [] for key in keys}
    for row in rows:
        key = (row["account_id"], row["customer_id"])
        found[key].append(CustomerEvent.model_validate(row["body"]))
    return found


async def add_events_of_many(
    conn: Conn, batches: Sequence[tuple[CustomerKey, Sequence[CustomerEvent]]]
) -> None:
    rows = [(key, e) for key, events in batches for e in events]
    if not rows:
        return
    await conn.execute(
        """
        INSERT INTO customer_events
            (account_id, customer_id, event_id, "timestamp", event_name, body)
        SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[],
                             $5::text[], $6::jsonb[])
        ON CONFLICT DO NOTHING
        """,
        [key[0] for key, _ in rows],
        [key[1] for key, _ in rows],
        [e.event_id for _, e in rows],
        [e.timestamp for _, e in rows],
        [e.event_name.value for _, e in rows],
        [e.model_dump(mode="json") for _, e in rows],
    )


async def customers_with_events_since(
    conn: Conn, account_id: str, since: datetime
) -> list[CustomerKey]:
    """The account's customers (not deleted) with an event stamped at or after `since`: those
    whose reminders a settings change from `since` may change."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT e.customer_id FROM customer_events e
        WHERE e.account_id = $1 AND e."timestamp" >= $2
          AND NOT EXISTS (SELECT FROM deleted_customers d
                          WHERE d.account_id = e.account_id AND d.customer_id = e.customer_id)
        ORDER BY e.customer_id
        """,
        account_id,
        since,
    )
    return [(account_id, row["customer_id"]) for row in rows]


async def events_of(conn: Conn, account_id: str, customer_id: uuid.UUID) -> list[CustomerEvent]:
    rows = await conn.fetch(
        "SELECT body FROM customer_events WHERE account_id = $1 AND customer_id = $2",
        account_id,
        customer_id,
    )
    return [CustomerEvent.model_validate(row["body"]) for row in rows]


async def inbound_messages(
    conn: Conn, account_id: str, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[InboundMessage]]:
    """Each customer's inbound messages from a messaging platform, for channel_window."""
    rows = await conn.fetch(
        """
        SELECT customer_id, "timestamp", body->>'inbound_platform' AS platform
        FROM customer_events
        WHERE account_id = $1 AND customer_id = ANY($2::uuid[]) AND event_name = ANY($3::text[])
        """,
        account_id,
        list(set(customer_ids)),
        [name.value for name in INBOUND_MESSAGES],
    )
    found: dict[uuid.UUID, list[InboundMessage]] = {}
    for row in rows:
        platform = Source(row["platform"]) if row["platform"] else Source.WEB
        found.setdefault(row["customer_id"], []).append(
            InboundMessage(at=row["timestamp"], platform=platform)
        )
    return found
