"""Ingest consumes CUSTOMER_CREATED (a customer made through the API becomes known, so a
booking link naming them resolves to them), CUSTOMER_DELETED (the runtime records the
tombstone, so later events naming the id are 422, and the handler releases the customer's
identities) and ACCOUNT_SETTINGS_CHANGED (the default_region a phone without a country code
is read in, at each event's timestamp)."""

from __future__ import annotations

from collections.abc import Sequence

from crm_ingest.api.wiring import Wiring
from crm_ingest.service.account_settings import record_changes
from crm_ingest.service.deletions import release_deleted
from crm_ingest.service.known_customers import remember_created
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.connection import Conn
from crm_servicekit.runtime import Resources

CONSUMED = frozenset(
    {
        EventName.CUSTOMER_CREATED.value,
        EventName.CUSTOMER_DELETED.value,
        EventName.ACCOUNT_SETTINGS_CHANGED.value,
    }
)


def handler(res: Resources) -> BatchHandler:
    # The requests' cache of settings histories, which `wire` built before the consumer
    # starts: this replica's requests read a changed account afresh.
    cache = res.wiring.account_settings if isinstance(res.wiring, Wiring) else None

    async def apply(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        await remember_created(conn, events)
        await release_deleted(conn, events)
        await record_changes(conn, events, cache)

    return apply
