"""A deleted customer's identities are free again, and their bookings lead to nobody
(docs/domain.md, deletion)."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from crm_ingest import repository
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.connection import Conn

log = structlog.get_logger(__name__)


async def release_deleted(conn: Conn, events: Sequence[EventEnvelope]) -> None:
    """Release the identities and bookings of the customers these CUSTOMER_DELETED events
    name."""
    pairs = [
        (event.account_id, event.customer_id)
        for event in events
        if event.event_name is EventName.CUSTOMER_DELETED and event.customer_id is not None
    ]
    released = await repository.release_identities(conn, pairs)
    await repository.forget_booking_customers(conn, pairs)
    if pairs:
        log.info("identities released", customers=len(pairs), identities=released)
