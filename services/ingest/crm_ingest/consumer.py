"""Ingest consumes CUSTOMER_CREATED (a customer made through the API becomes known, so a
booking link naming them resolves to them) and CUSTOMER_DELETED: the runtime records the
tombstone (so later events naming the id are 422), and the handler releases the customer's
identities."""

from __future__ import annotations

from collections.abc import Sequence

from crm_ingest.service.deletions import release_deleted
from crm_ingest.service.known_customers import remember_created
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.runtime import Resources

CONSUMED = frozenset({EventName.CUSTOMER_CREATED.value, EventName.CUSTOMER_DELETED.value})


async def _apply(conn: Conn, events: Sequence[EventEnvelope]) -> None:
    await remember_created(conn, events)
    await release_deleted(conn, events)


def handler(_res: Resources) -> BatchHandler:
    return _apply
