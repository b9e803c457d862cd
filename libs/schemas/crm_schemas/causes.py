"""Why a service emits an event: a consumed event, or a person's command through the API.

Every system event names its cause (`cause_event_id`) and takes its timestamp from it, and
its id is derived from the cause (crm_schemas.ids), so re-processing the same cause or a
rebuild from the topic emits the very same events. The services share these two values
instead of each keeping its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.ids import api_action_id
from crm_schemas.system_events import system_event


@dataclass(frozen=True)
class Cause:
    """What the events a service emits are the consequence of.

    `timestamp` is the domain time the emitted events carry (the cause's own timestamp);
    `received_at` is when the service handled it. `event_name` names the cause for
    STATUS_CHANGED's `cause_event_name`; a person's command names the event it leads to.
    """

    event_id: str
    event_name: str
    timestamp: datetime
    received_at: datetime
    actor_id: str | None = None

    @classmethod
    def of_event(cls, event: EventEnvelope, received_at: datetime) -> Cause:
        return cls(event.event_id, event.event_name.value, event.timestamp, received_at)

    def event(
        self,
        name: EventName,
        *,
        producer: str,
        account_id: str,
        customer_id: UUID | None,
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
            producer=producer,
            received_at=self.received_at,
            discriminator=discriminator,
            actor_id=self.actor_id,
        )


@dataclass(frozen=True)
class Command:
    """A person's request to change something: who, for which account, when, and the
    request's Idempotency-Key (a retry with the same key causes the same events)."""

    account_id: str
    actor_id: str
    at: datetime
    idempotency_key: str | None = None

    def cause(self, kind: str, leads_to: EventName) -> Cause:
        """The cause of what this command emits; `kind` tells commands of one request
        apart (the method and path, or the action and the object it acts on)."""
        return Cause(
            event_id=str(api_action_id(self.account_id, self.idempotency_key, kind)),
            event_name=leads_to.value,
            timestamp=self.at,
            received_at=self.at,
            actor_id=self.actor_id,
        )
