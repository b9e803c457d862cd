"""Ingest consumes CUSTOMER_DELETED only: the runtime records the tombstone (so later events
naming the id are 422), and this handler releases the customer's identities."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from crm_ingest import repository as repo
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.runtime import Resources

log = structlog.get_logger(__name__)
WANTED = frozenset({EventName.CUSTOMER_DELETED.value})


async def release_deleted(conn: Conn, events: Sequence[EventEnvelope]) -> None:
    pairs = [
        (event.account_id, event.customer_id)
        for event in events
        if event.event_name is EventName.CUSTOMER_DELETED and event.customer_id is not None
    ]
    released = await repo.release_identities(conn, pairs)
    if pairs:
        log.info("identities released", customers=len(pairs), identities=released)


def deletion_handler(_res: Resources) -> BatchHandler:
    return release_deleted
