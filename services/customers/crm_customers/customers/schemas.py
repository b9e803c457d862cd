"""What the customers routes read and answer: the bodies of the service's OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crm_customers.customers.policy.card import custom_problem
from crm_customers.customers.policy.customer import Customer
from crm_customers.customers.policy.fields import check_country, check_language
from crm_schemas.contact import CLIENT_SOURCES, Consent, Handles, Source, Utm
from crm_schemas.identity import normalize_email, normalize_handle
from crm_schemas.pipeline import BookingState
from crm_schemas.storable import StorableBody
from crm_schemas.vocabulary import UnknownTermError, Vocabulary, parse_booking_state, reverse
from crm_servicekit.instants import IsoInstant
from crm_servicekit.pagination import Page


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# Times are read with any offset and kept (and answered) in UTC.
UtcDatetime = Annotated[IsoInstant, AfterValidator(_in_utc)]

_TEXT = Field(default=None, max_length=2000)
_SHORT = Field(default=None, max_length=255)


class CustomerFields(StorableBody):
    """The fields a person may give on creation and change with PUT."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = _SHORT
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    status: str | None = Field(default=None, max_length=64)
    pipeline: str | None = Field(default=None, max_length=32)
    notes: str | None = Field(default=None, max_length=10000)
    next_action: str | None = _SHORT
    next_action_date: UtcDatetime | None = None
    source: str | None = Field(default=None, max_length=32)
    handles: Handles | None = None
    country: str | None = Field(default=None, max_length=8)
    language: str | None = Field(default=None, max_length=8)
    prospect_why: str | None = _TEXT
    consent: Consent | None = None
    utm: Utm | None = None
    custom: dict[str, Any] | None = Field(
        default=None,
        description="the account's own fields: keys of 1 to 64 characters, JSON values, at "
        "most 8 KiB as compact JSON; a PUT replaces the keys it names and removes those null",
    )

    @field_validator("custom")
    @classmethod
    def _custom(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and (problem := custom_problem(value)) is not None:
            raise ValueError(problem)
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value is not None else None

    @field_validator("handles")
    @classmethod
    def _handles(cls, value: Handles | None) -> Handles | None:
        if value is None:
            return None
        return Handles(**{k: normalize_handle(v) for k, v in value.present().items()})

    @field_validator("source")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is None:
            return None
        allowed = sorted(s.value for s in CLIENT_SOURCES)
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return Source(value).value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return check_country(value) if value is not None else None

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return check_language(value) if value is not None else None


class CustomerIn(CustomerFields):
    @model_validator(mode="after")
    def _someone(self) -> Self:
        handles = self.handles.present() if self.handles else {}
        if not (self.name or self.email or self.phone or handles):
            raise ValueError(
                "a customer needs a name or at least one identity (email, phone, handles)"
            )
        return self


class BookingIn(StorableBody):
    """A person's booking; `state` may be left out when the PUT's status is a term that
    names it (Booked, No-Show, Held), and is required otherwise (checked with the status)."""

    model_config = ConfigDict(extra="forbid")

    state: str | None = Field(default=None, max_length=32)
    # Checked when left out too: a booked meeting needs its time.
    time: UtcDatetime | None = Field(default=None, validate_default=True)
    booking_id: str | None = _SHORT

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            state = parse_booking_state(value)
        except UnknownTermError as unknown:
            raise ValueError(f"must be one of {', '.join(unknown.accepted[1:])}") from None
        if state is BookingState.NONE:
            raise ValueError("a booking cannot be set back to none; use canceled")
        return state.value

    @field_validator("time")
    @classmethod
    def _booked_needs_time(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None and info.data.get("state") == BookingState.BOOKED.value:
            raise ValueError("a booked meeting needs its time")
        return value


class CustomerPatch(CustomerFields):
    reason: str | None = Field(default=None, max_length=2000)
    booking: BookingIn | None = None


class NextStageIn(StorableBody):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)
    prospect_why: str | None = _TEXT
    # The meeting's time, for a step to Booked with `pipeline` recruiting or sales.
    booking_time: UtcDatetime | None = None


class BookingOut(BaseModel):
    state: str
    time: AwareDatetime | None = None
    booking_id: str | None = None


class CustomerOut(BaseModel):
    id: UUID
    name: str | None
    email: str | None
    phone: str | None
    handles: dict[str, str]
    source: str | None
    country: str | None
    language: str | None
    notes: str | None
    prospect_why: str | None
    next_action: str | None
    next_action_date: AwareDatetime | None
    consent: dict[str, Any] | None
    utm: dict[str, Any] | None
    custom: dict[str, Any]
    status: str
    status_label: str
    booking: BookingOut
    joined_team: bool
    opted_out: bool
    last_activity_at: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    pipeline_status: str | None = None

    @classmethod
    def of(cls, customer: Customer, vocabulary: Vocabulary | None) -> CustomerOut:
        """The card; `pipeline_status` (the term in the asked vocabulary) only when one was
        asked for: routes answer with the fields set, so it is absent otherwise."""
        state = customer.state
        asked = {"pipeline_status": reverse(state, vocabulary)} if vocabulary is not None else {}
        return cls(
            **asked,
            id=customer.id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            handles=customer.handles.present(),
            source=customer.source,
            country=customer.country,
            language=customer.language,
            notes=customer.notes,
            prospect_why=customer.prospect_why,
            next_action=customer.next_action,
            next_action_date=customer.next_action_date,
            consent=customer.consent.model_dump(exclude_none=True) if customer.consent else None,
            utm=customer.utm.model_dump(exclude_none=True) if customer.utm else None,
            custom=customer.custom,
            status=state.status.value,
            status_label=state.status.label,
            booking=BookingOut(
                state=state.booking.state.value,
                time=state.booking.time,
                booking_id=state.booking.booking_id,
            ),
            joined_team=state.joined_team,
            opted_out=state.opted_out,
            last_activity_at=customer.history.last_activity_at,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
        )


CustomerPage = Page[CustomerOut]


class BookingLinkOut(BaseModel):
    url: str = Field(
        description="the scheduling URL with the customer's reference (utm_content for "
        "Calendly, metadata[crm_ref] for Cal.com)"
    )
