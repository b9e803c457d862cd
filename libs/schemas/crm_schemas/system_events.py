"""Building the services' own events: source system, deterministic id, the cause's timestamp."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from crm_schemas.catalog import EventName
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
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
    props = (
        properties.model_dump(mode="json", by_alias=True, exclude_none=True)
        if isinstance(properties, BaseModel)
        else properties
    )
    return EventEnvelope(
        event_name=name,
        event_id=str(system_event_id(account_id, cause_event_id, name.value, discriminator)),
        timestamp=timestamp,
        account_id=account_id,
        customer_id=customer_id,
        source=Source.SYSTEM,
        properties=props,
        received_at=received_at,
        producer=producer,
        cause_event_id=cause_event_id,
        actor_id=actor_id,
    )
