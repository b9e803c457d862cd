"""Ingest consumes CUSTOMER_DELETED only: the runtime records the tombstone (so later events
naming the id are 422), and the handler releases the customer's identities."""

from __future__ import annotations

from crm_ingest.service.deletions import release_deleted
from crm_schemas.catalog import EventName
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.runtime import Resources

CONSUMED = frozenset({EventName.CUSTOMER_DELETED.value})


def handler(_res: Resources) -> BatchHandler:
    return release_deleted
