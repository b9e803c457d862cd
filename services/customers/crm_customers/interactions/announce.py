"""What the interactions aggregate emits: INTERACTION_LOGGED, _UPDATED and _DELETED, each
carrying the whole interaction (written to the outbox by customers' announce)."""

from __future__ import annotations

from crm_customers.customers.announce import PRODUCER
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import Interaction, InteractionEvent


def interaction_event(
    name: EventName, cause: Cause, account_id: str, interaction: Interaction
) -> EventEnvelope:
    return cause.event(
        name,
        producer=PRODUCER,
        account_id=account_id,
        customer_id=interaction.customer_id,
        properties=InteractionEvent(interaction=interaction),
    )
