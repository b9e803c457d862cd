"""A person's interactions, decided without I/O: the interaction logged, or changed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from crm_customers.interactions.schemas import InteractionIn, InteractionPatch
from crm_schemas.system_properties import Interaction

# These cannot be emptied: null in a change leaves them as they are.
_REQUIRED = ("type", "occurred_at", "completed")


def logged(
    interaction_id: UUID, customer_id: UUID, body: InteractionIn, now: datetime
) -> Interaction:
    """A new interaction; without occurred_at it happened now."""
    return Interaction(
        id=interaction_id,
        customer_id=customer_id,
        type=body.type,
        content=body.content,
        occurred_at=body.occurred_at or now,
        scheduled_for=body.scheduled_for,
        completed=body.completed,
    )


def changed(interaction: Interaction, body: InteractionPatch) -> Interaction:
    """The interaction with the fields the person gave."""
    given = body.model_dump(include=body.model_fields_set)
    for required in _REQUIRED:
        if given.get(required, ...) is None:
            given.pop(required)
    return interaction.model_copy(update=given)
