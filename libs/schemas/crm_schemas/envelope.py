"""The incoming envelope (what clients send to ingest) and the topic envelope (on Kafka).

Both are a superset of the legacy events.json: event_name, event_id, user_id, account_id,
timestamp, source, properties, consent and utm keep their names and meaning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crm_schemas.catalog import CATALOG, EXTERNAL_EVENTS, EventName
from crm_schemas.contact import Consent, Contact, LinkedIdentities, Source, Utm
from crm_schemas.instants import Instant
from crm_schemas.normal_form import is_marked, marked
from crm_schemas.properties import Properties
from crm_schemas.storable import StorableText, may_hold_unstorable, raise_unstorable, unstorable

SCHEMA_VERSION: Final = 1
MAX_EVENT_ID_LENGTH: Final = 255


# Validation context of an event read back from a service's own store: its properties were
# checked (and normalized) when it was consumed, so they are not validated a second time.
STORED: Final = "stored"
# Contexts of a message read from the topic (`EventEnvelope.from_json`), from what a scan of its
# bytes showed: STORABLE_TEXT, that no value in it can be unstorable (so the walk is skipped);
# NORMAL_FORM, that its producer marked its properties as normalized by these very models.
STORABLE_TEXT: Final = "storable_text"
NORMAL_FORM: Final = "normal_form"
_READ_CONTEXTS: Final = {
    (storable, normal): {STORABLE_TEXT: storable, NORMAL_FORM: normal}
    for storable in (False, True)
    for normal in (False, True)
}


def _properties_on(body: bytes) -> bytes:
    """The text from the first "properties" key on. It holds the envelope's properties, the
    only values walked for unstorable ones, whatever the order of the keys: the envelope's own
    key is an occurrence, so the first is it or comes before it (inside a string the quotes
    would be escaped). It leaves out the UUIDs and times that usually come first, whose digits
    the scan may take for a number's exponent."""
    start = body.find(b'"properties":')
    return body[start:] if start > 0 else body


def _validated_properties(value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    """Check properties against the event's model; keep them as plain JSON data in the model's
    normal form (its dump by alias, without nulls). Every value, nested ones and a sender's own
    fields too, must be storable (crm_schemas.storable).

    What a consumer still checks on a message from the topic, although its producer checked
    it all (docs/architecture.md, "What a consumer checks"): the envelope's fields, that the
    properties are valid for the event's model (a payload that cannot be valid is a permanent
    error, dead-lettered), and that every value is storable, walked only when a scan of the
    bytes finds something that may not be. A producer's normal form is not made again when the
    message carries this code's mark (crm_schemas.normal_form): normalizing is idempotent."""
    context = info.context or {}
    if context.get(STORED):
        return value
    if not context.get(STORABLE_TEXT):
        raise_unstorable(unstorable(value), "properties")
    name = info.data.get("event_name")
    if name is None:  # event_name itself was invalid; that error is reported already
        return value
    checked = CATALOG[name].properties.model_validate(value)
    if context.get(NORMAL_FORM):
        return value
    return checked.model_dump(mode="json", by_alias=True, exclude_none=True)


class _EnvelopeFields(BaseModel):
    event_name: EventName
    event_id: StorableText = Field(min_length=1, max_length=MAX_EVENT_ID_LENGTH)
    timestamp: Instant
    account_id: StorableText | None = Field(default=None, min_length=1, max_length=128)
    customer_id: UUID | None = None
    user_id: StorableText | None = Field(
        default=None, max_length=255, description="the prospect's id on the source platform"
    )
    contact: Contact | None = None
    source: Source | None = None
    # Validated when absent too: an event whose properties have required fields, sent with no
    # properties at all, passed here and failed as a topic envelope (ingest answered 500).
    properties: dict[str, Any] = Field(default_factory=dict, validate_default=True)
    consent: Consent | None = None
    utm: Utm | None = None

    @field_validator("properties")
    @classmethod
    def _properties_match_event(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        return _validated_properties(value, info)

    def typed_properties(self) -> Properties:
        return CATALOG[self.event_name].properties.model_validate(self.properties)

    @property
    def opts_out(self) -> bool:
        return self.event_name is EventName.UNSUBSCRIBED or (
            self.consent is not None and self.consent.messaging is False
        )

    @property
    def opts_in(self) -> bool:
        return self.consent is not None and self.consent.messaging is True


class IncomingEvent(_EnvelopeFields):
    """An event as a client sends it to ingest (`POST /api/events`)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("event_name")
    @classmethod
    def _only_outside_events(cls, value: EventName) -> EventName:
        if value not in EXTERNAL_EVENTS:
            raise ValueError(f"{value} is emitted by the services and cannot be sent by clients")
        return value

    @field_validator("source")
    @classmethod
    def _system_is_reserved(cls, value: Source | None) -> Source | None:
        if value is Source.SYSTEM:
            raise ValueError("source 'system' is reserved for the services' own events")
        return value

    @model_validator(mode="after")
    def _who_is_it_about(self) -> Self:
        has_identity = bool(self.user_id) or (
            self.contact is not None and self.contact.has_identity()
        )
        if self.customer_id is None and not has_identity:
            raise ValueError(
                "a customer_id or at least one identity (contact email, phone, handles, "
                "external_id, or user_id) is required"
            )
        return self


class EventEnvelope(_EnvelopeFields):
    """An event on `crm.events.v1`. Consumers ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore")

    account_id: StorableText = Field(min_length=1, max_length=128)
    # Null only for account-level events (COACHING_PROMPT), which are keyed by account id.
    customer_id: UUID | None = None
    source: Source
    actor_id: StorableText | None = None
    schema_version: int = SCHEMA_VERSION
    received_at: AwareDatetime
    producer: StorableText = Field(min_length=1)
    cause_event_id: StorableText | None = None
    # Set by ingest on the events it accepts; absent on the services' own events.
    linked_identities: LinkedIdentities | None = None

    @model_validator(mode="after")
    def _customer_unless_account_level(self) -> Self:
        if self.customer_id is None and not CATALOG[self.event_name].account_level:
            raise ValueError(f"{self.event_name} needs a customer_id")
        return self

    @property
    def order_key(self) -> tuple[datetime, str]:
        """Where the event sorts in its customer's history (a customer's fact log)."""
        return (self.timestamp, self.event_id)

    @property
    def kafka_key(self) -> bytes:
        """Customer id for every customer's event (one ordered log each), else the account."""
        return str(self.customer_id or self.account_id).encode()

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()

    def to_message(self) -> bytes:
        """The body published on the topic: the JSON with the normal-form mark, which says the
        properties are this code's normal form. Only for an envelope built by validation (its
        constructor, model_validate, from_json), never one from from_stored, model_construct or
        a model_copy that replaced its properties."""
        return marked(self.to_json())

    @classmethod
    def from_json(cls, raw: bytes | str) -> EventEnvelope:
        """A message from the topic, or any JSON envelope (see _validated_properties)."""
        # A str pydantic cannot read (a lone surrogate) is left for it to refuse.
        data = raw.encode(errors="surrogatepass") if isinstance(raw, str) else raw
        context = _READ_CONTEXTS[(not may_hold_unstorable(_properties_on(data)), is_marked(data))]
        return cls.model_validate_json(raw, context=context)

    @classmethod
    def from_stored(cls, raw: bytes | str) -> EventEnvelope:
        """An event this service validated when it consumed it and stored as JSON; the
        envelope's fields are parsed again, its properties are taken as stored."""
        return cls.model_validate_json(raw, context={STORED: True})
