"""Typed properties of the events that come from outside (webhooks and the Kundekort buttons)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crm_schemas.instants import Instant
from crm_schemas.storable import StorableNumber


class Properties(BaseModel):
    """Base: senders may add fields of their own; they are kept and ignored by consumers."""

    model_config = ConfigDict(extra="allow")


class DmStarted(Properties):
    text: str | None = None
    sender_id: str | None = None
    sender_handle: str | None = None
    sender_name: str | None = None


class MessageReceived(Properties):
    channel: str = Field(min_length=1, max_length=64)
    text: str | None = None


class MessageSent(Properties):
    channel: str = Field(min_length=1, max_length=64)


class InviteSent(Properties):
    channel: str | None = None


class LeadQualified(Properties):
    prospect_why: str | None = None
    answers: dict[str, Any] | None = None


class MeetingBooked(Properties):
    booking_time: Instant
    booking_id: str | None = None


class BookingRef(Properties):
    """MEETING_HELD, NO_SHOW and MEETING_CANCELED name the booking they are about, if known."""

    booking_id: str | None = None


class VideoSent(Properties):
    video_url: str | None = None


class FollowUpDone(Properties):
    channel: str | None = None


class Purchased(Properties):
    amount: StorableNumber = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    product_ids: list[str]


class NoProperties(Properties):
    pass
