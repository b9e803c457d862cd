"""The request and response models of ingest's routes, and the documented event body.

The single-event body is read raw (signatures cover the exact bytes), so its OpenAPI schema is
written here: `IncomingEvent` types `properties` as any object, because which model applies
depends on `event_name`, so the document has one `oneOf` branch per event a client may send,
that event's name as a constant and its properties' model. Clients read what each event
takes; schema-driven tests generate events that get past validation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_ingest.policy.connectors.items import Connector
from crm_ingest.policy.deliveries import DeliveryOutcome
from crm_ingest.policy.normalization import normalize_source
from crm_schemas.catalog import CATALOG, EXTERNAL_EVENTS
from crm_schemas.contact import (
    MESSAGING_PLATFORMS,
    NO_CONTROL_CHARACTERS,
    Consent,
    Contact,
    Handles,
    Source,
    Utm,
)
from crm_schemas.envelope import MAX_EVENT_ID_LENGTH, IncomingEvent
from crm_schemas.instants import Instant
from crm_schemas.storable import StorableBody
from crm_servicekit.openapi_bodies import COMPONENTS_KEY, REF_TEMPLATE, raw_json_body


def incoming_event_body() -> dict[str, Any]:
    """`openapi_extra` for the single-event route."""
    extra = raw_json_body(IncomingEvent)
    components: dict[str, Any] = extra[COMPONENTS_KEY]
    branches = []
    for name in sorted(EXTERNAL_EVENTS):
        model = CATALOG[name].properties
        schema = model.model_json_schema(ref_template=REF_TEMPLATE)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
        branches.append(
            {
                "title": name.value,
                "properties": {
                    "event_name": {"const": name.value},
                    "properties": {"$ref": REF_TEMPLATE.format(model=model.__name__)},
                },
                "required": ["event_name"],
            }
        )
    extra["requestBody"]["content"]["application/json"]["schema"]["oneOf"] = branches
    return extra


class BatchBody(BaseModel):
    """What `POST /api/events/batch` takes; its items are checked one by one, not here."""

    # Any JSON per item: an item that is not an event is that item's rejection, not the batch's.
    events: list[Any] = Field(
        min_length=1,
        max_length=500,
        description="Events as POST /api/events takes them; each is judged alone (results).",
    )


class EventAnswer(BaseModel):
    """What a single event's 202 (`accepted`) or 200 (`duplicate`) answers."""

    event_id: str
    customer_id: UUID | None = Field(description="the customer the event was resolved to")
    status: Literal["accepted", "duplicate"]


class ItemResult(BaseModel):
    """One batch item's result, in input order."""

    event_id: Any = Field(description="as the item gave it (null when it gave none)")
    status: Literal["accepted", "duplicate", "rejected", "failed"]
    customer_id: UUID | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="what made a rejected item invalid: loc and msg per field"
    )


class BatchAnswer(BaseModel):
    results: list[ItemResult]


class DmSender(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(
        default=None, min_length=1, max_length=255, pattern=NO_CONTROL_CHARACTERS
    )
    handle: str | None = Field(
        default=None, min_length=1, max_length=255, pattern=NO_CONTROL_CHARACTERS
    )
    name: str | None = Field(default=None, max_length=255, pattern=NO_CONTROL_CHARACTERS)

    @model_validator(mode="after")
    def _id_or_handle(self) -> Self:
        if self.id is None and self.handle is None:
            raise ValueError("a sender needs an id or a handle")
        return self


class DmHook(BaseModel):
    """A DM provider's webhook (POST /api/hooks/dm)."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=MAX_EVENT_ID_LENGTH)
    account_id: str = Field(min_length=1, max_length=128)
    platform: Source
    sender: DmSender
    text: str | None = Field(default=None, max_length=20_000)
    timestamp: Instant
    consent: Consent | None = None
    utm: Utm | None = None

    @model_validator(mode="before")
    @classmethod
    def _canonical_platform(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("platform"), str):
            data = {**data, "platform": normalize_source(data["platform"])}
        return data

    @model_validator(mode="after")
    def _messaging_platform(self) -> Self:
        if self.platform not in MESSAGING_PLATFORMS:
            raise ValueError("platform must be one of ig, messenger, whatsapp")
        return self


class CapiUserData(BaseModel):
    model_config = ConfigDict(extra="allow")

    em: str | list[str] | None = None
    ph: str | list[str] | None = None
    fn: str | None = Field(default=None, max_length=255)
    ln: str | None = Field(default=None, max_length=255)
    fbp: str | None = Field(default=None, max_length=255)
    fbc: str | None = Field(default=None, max_length=255)
    external_id: str | list[str] | None = None


class CapiLead(BaseModel):
    """A lead in the Meta Conversions API style (POST /api/hooks/capi/lead)."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=MAX_EVENT_ID_LENGTH)
    account_id: str = Field(min_length=1, max_length=128)
    event_time: int | None = Field(default=None, ge=0, le=32_503_680_000)  # before year 3000
    timestamp: Instant | None = None
    user_data: CapiUserData = Field(default_factory=CapiUserData)
    custom_data: dict[str, Any] | None = None
    lead: dict[str, Any] | None = None
    consent: Consent | None = None
    utm: Utm | None = None

    @model_validator(mode="after")
    def _when(self) -> Self:
        if self.event_time is None and self.timestamp is None:
            raise ValueError("event_time (Unix seconds) or timestamp is required")
        return self

    @property
    def occurred_at(self) -> datetime:
        if self.timestamp is not None:
            return self.timestamp
        assert self.event_time is not None  # the validator guarantees one of them
        return datetime.fromtimestamp(self.event_time, tz=UTC)


class ClaimedIdentities(BaseModel):
    """The identities the customers service claims (already normalized, as ingest does)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    handles: Handles | None = None
    external_id: str | None = Field(default=None, max_length=255)

    def as_contact(self) -> Contact:
        return Contact(
            **self.model_dump(exclude_none=True, exclude={"handles"}), handles=self.handles
        )


class ClaimRequest(StorableBody):
    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(min_length=1, max_length=128)
    customer_id: UUID
    # The customer's complete set of email, phone and handles after the change: of each kind
    # named, this value is the one linked, and the customer's other one is released.
    identities: ClaimedIdentities
    # Values the customer no longer has (a cleared field): released, with their hashes.
    release: ClaimedIdentities | None = None


class ClaimAnswer(BaseModel):
    customer_id: UUID
    claimed: list[dict[str, str]]
    # What the claim unlinked from the customer (replaced or released values, with hashes).
    released: list[dict[str, str]] = Field(default_factory=list)


class DeliveryItemResult(BaseModel):
    provider_id: str
    account_id: str
    outcome: DeliveryOutcome
    reason: str | None = None
    event_id: str | None = None
    customer_id: UUID | None = None


class DeliveryAnswer(BaseModel):
    """A provider's delivery, taken: how many items it held and what became of each item
    an account owns (the deliveries log has the same)."""

    items: int
    # accepted, duplicate, ignored, rejected, and unowned (no account lists the addressee).
    outcomes: dict[str, int]
    results: list[DeliveryItemResult]


class DeliveryItem(BaseModel):
    """One delivery item of the webhook deliveries log (GET /api/hooks/deliveries)."""

    received_at: datetime
    connector: Connector
    provider_id: str = Field(description="the provider's own id of the item")
    outcome: DeliveryOutcome
    reason: str | None = Field(description="why it was ignored, rejected or failed")
    event_id: str | None = Field(description="the event it produced")
    customer_id: UUID | None


class DeliveryPage(BaseModel):
    items: list[DeliveryItem]
    next_cursor: str | None = None
