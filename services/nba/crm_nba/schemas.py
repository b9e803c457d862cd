"""Request and response bodies of the NBA API (the recommendation itself is crm_schemas')."""

from __future__ import annotations

from typing import Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from crm_schemas.catalog import EventName
from crm_schemas.contact import Consent, Source
from crm_schemas.storable import StorableBody
from crm_schemas.system_properties import CoachingPrompt, Recommendation
from crm_servicekit.instants import IsoInstant

MAX_ANALYZED_CUSTOMERS = 500
MAX_HISTORY_EVENTS = 5000


class HistoryEvent(BaseModel):
    """One event of a posted history: the topic envelope's fields the policy reads."""

    model_config = ConfigDict(extra="ignore")

    event_name: EventName
    event_id: str = Field(min_length=1, max_length=255)
    timestamp: IsoInstant
    customer_id: UUID | None = None
    source: Source | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    consent: Consent | None = None


class AnalyzeRequest(StorableBody):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[UUID] | None = Field(
        default=None, min_length=1, max_length=MAX_ANALYZED_CUSTOMERS
    )
    history: list[HistoryEvent] | None = Field(
        default=None, min_length=1, max_length=MAX_HISTORY_EVENTS
    )
    customer_id: UUID | None = Field(
        default=None, description="who the history is about, when its events do not say"
    )
    as_of: IsoInstant | None = Field(
        default=None, description="evaluate a history at this instant (default now)"
    )

    @model_validator(mode="after")
    def _one_question(self) -> Self:
        if (self.customer_ids is None) == (self.history is None):
            raise ValueError("give exactly one of customer_ids or history")
        if self.customer_ids is not None and self.as_of is not None:
            raise ValueError("as_of applies to a history; customer_ids are recomputed now")
        return self


class Recomputed(BaseModel):
    items: list[Recommendation]
    not_found: list[UUID]


class HistoryAnalysis(Recommendation):
    next_change_at: AwareDatetime | None = None


class Coaching(BaseModel):
    as_of: AwareDatetime
    local_date: str
    items: list[CoachingPrompt]
