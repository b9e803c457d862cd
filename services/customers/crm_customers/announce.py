"""Emitting this service's events: built with deterministic ids, written to the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import PipelineState
from crm_schemas.system_events import system_event
from crm_schemas.system_properties import Actor, StatusChanged
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue

PRODUCER = "customers"


@dataclass(frozen=True)
class Cause:
    """Why events are emitted: a consumed event, or a person's API action (its request time)."""

    event_id: str
    event_name: str
    timestamp: datetime
    received_at: datetime
    actor_id: str | None = None

    def event(
        self,
        name: EventName,
        account_id: str,
        customer_id: UUID,
        properties: BaseModel | dict[str, Any],
        discriminator: str = "",
    ) -> EventEnvelope:
        return system_event(
            name=name,
            account_id=account_id,
            customer_id=customer_id,
            properties=properties,
            cause_event_id=self.event_id,
            timestamp=self.timestamp,
            producer=PRODUCER,
            received_at=self.received_at,
            discriminator=discriminator,
            actor_id=self.actor_id,
        )

    def status_changed(
        self,
        account_id: str,
        customer_id: UUID,
        before: PipelineState,
        after: PipelineState,
        *,
        actor: Actor,
        reason: str | None = None,
    ) -> EventEnvelope:
        change = StatusChanged.model_validate(
            {
                "from": before,
                "to": after,
                "cause_event_id": self.event_id,
                "cause_event_name": self.event_name,
                "actor": actor,
                "actor_id": self.actor_id,
                "reason": reason,
            }
        )
        return self.event(EventName.STATUS_CHANGED, account_id, customer_id, change)


async def announce(conn: Conn, events: Sequence[EventEnvelope], topic: str) -> None:
    """Write events to the outbox, and count them as processed by this service.

    Their effects are in this transaction already. When they come back from the topic the
    consumer must not apply them again: a late copy of an older CUSTOMER_UPDATED would undo
    a newer change. A rebuild, from an empty database, does apply them.
    """
    if not events:
        return
    await enqueue(conn, events, topic)
    await conn.execute(
        "INSERT INTO processed_events (account_id, event_id)"
        " SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
        [e.account_id for e in events],
        [e.event_id for e in events],
    )
