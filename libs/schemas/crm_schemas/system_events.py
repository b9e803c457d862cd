"""Building the services' own events: source system, deterministic id, the cause's timestamp."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from crm_schemas.catalog import CATALOG, EventName
from crm_schemas.contact import Source
from crm_schemas.envelope import STORED, EventEnvelope
from crm_schemas.ids import system_event_id


def system_event(
    *,
    name: EventName,
    account_id: str,
    customer_id: UUID | None,
    properties: BaseModel | dict[str, Any],
    cause_event_id: str,
    timestamp: datetime,
    producer: str,
    received_at: datetime,
    discriminator: str = "",
    actor_id: str | None = None,
) -> EventEnvelope:
    """A system event whose id is a UUIDv5 of (account, cause, kind, discriminator).

    So re-processing the same cause, or rebuilding from the topic, emits the same event
    again, which every consumer recognizes as already seen. `timestamp` is the cause's
    (the request time for API actions; scheduled_for for REMINDER_DUE).
    """
    fields: dict[str, Any] = {
        "event_name": name,
        "event_id": str(system_event_id(account_id, cause_event_id, name.value, discriminator)),
        "timestamp": timestamp,
        "account_id": account_id,
        "customer_id": customer_id,
        "source": Source.SYSTEM,
        "received_at": received_at,
        "producer": producer,
        "cause_event_id": cause_event_id,
        "actor_id": actor_id,
    }
    if type(properties) is CATALOG[name].properties:
        # An instance of the event's own properties model was validated when it was made, and
        # its dump is what validating it again would give (tests/schemas hold the two paths
        # equal), so it is not validated twice: that second pass was most of the cost of an
        # announcement, and a fact causes several.
        fields["properties"] = properties.model_dump(mode="json", by_alias=True, exclude_none=True)
        return EventEnvelope.model_validate(fields, context={STORED: True})
    fields["properties"] = (
        properties.model_dump(mode="json", by_alias=True, exclude_none=True)
        if isinstance(properties, BaseModel)
        else properties
    )
    return EventEnvelope.model_validate(fields)
