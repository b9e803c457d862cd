"""What the interactions routes read and answer: the bodies of the OpenAPI document."""

from __future__ import annotations

from uuid import UUID

from pydantic import ConfigDict, Field

from crm_customers.customers.schemas import UtcDatetime
from crm_schemas.storable import StorableBody
from crm_schemas.system_properties import Interaction, InteractionType
from crm_servicekit.pagination import Page


class InteractionIn(StorableBody):
    model_config = ConfigDict(extra="forbid")

    customer_id: UUID
    type: InteractionType
    content: str | None = Field(default=None, max_length=10000)
    occurred_at: UtcDatetime | None = None
    scheduled_for: UtcDatetime | None = None
    completed: bool = False


class InteractionPatch(StorableBody):
    model_config = ConfigDict(extra="forbid")

    type: InteractionType | None = None
    content: str | None = Field(default=None, max_length=10000)
    occurred_at: UtcDatetime | None = None
    scheduled_for: UtcDatetime | None = None
    completed: bool | None = None


# An interaction is answered as INTERACTION_* events carry it.
InteractionOut = Interaction
InteractionPage = Page[Interaction]
