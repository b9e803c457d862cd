"""Customers created through the customers API become known to ingest, so a booking link's
reference to one resolves to them (docs/connectors.md, booking tools) even before any event
named them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from crm_ingest import repository
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.connection import Conn


async def remember_created(conn: Conn, events: Sequence[EventEnvelope]) -> None:
    created: dict[str, list[tuple[UUID, datetime]]] = defaultdict(list)
    for event in events:
        if event.event_name is EventName.CUSTOMER_CREATED and event.customer_id is not None:
            created[event.account_id].append((event.customer_id, event.timestamp))
    for account_id, customers in sorted(created.items()):
        first_seen = min(at for _, at in customers)
        await repository.remember_customers(
            conn, account_id, [customer for customer, _ in customers], first_seen
        )
