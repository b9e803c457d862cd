"""Ticker items: which events the live ticker shows, and the sentence each one reads as."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import CoachingPrompt, NbaChanged, ReminderEvent


class TickerKind(StrEnum):
    EVENT = "event"
    NBA = "nba"
    COACHING = "coaching"
    REMINDER_DUE = "reminder_due"


_KIND_OF: dict[EventName, TickerKind] = {
    EventName.MEETING_BOOKED: TickerKind.EVENT,
    EventName.MEETING_HELD: TickerKind.EVENT,
    EventName.NO_SHOW: TickerKind.EVENT,
    EventName.VIDEO_SENT: TickerKind.EVENT,
    EventName.PURCHASED: TickerKind.EVENT,
    EventName.JOINED_TEAM: TickerKind.EVENT,
    EventName.NBA_CHANGED: TickerKind.NBA,
    EventName.COACHING_PROMPT: TickerKind.COACHING,
    EventName.REMINDER_DUE: TickerKind.REMINDER_DUE,
}


def shows_on_ticker(event: EventEnvelope) -> bool:
    return event.event_name in _KIND_OF


def local_moment(moment: datetime, zone: ZoneInfo) -> str:
    """'Tue 3 Nov 14:00' in the account's time zone."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def sentence(event: EventEnvelope, who: str, zone: ZoneInfo) -> str:
    props = event.properties
    name = event.event_name
    if name is EventName.MEETING_BOOKED:
        when = datetime.fromisoformat(props["booking_time"])
        return f"{who} booked a meeting for {local_moment(when, zone)}"
    if name is EventName.MEETING_HELD:
        return f"Meeting held with {who}"
    if name is EventName.NO_SHOW:
        return f"{who} did not show up for the meeting"
    if name is EventName.VIDEO_SENT:
        return f"Presentation video sent to {who}"
    if name is EventName.PURCHASED:
        return f"{who} bought for {props['amount']} {props['currency']}"
    if name is EventName.JOINED_TEAM:
        return f"{who} joined the team"
    if name is EventName.NBA_CHANGED:
        recommendation = NbaChanged.model_validate(props).recommendation
        return f"Next for {who}: {recommendation.title}"
    if name is EventName.COACHING_PROMPT:
        return CoachingPrompt.model_validate(props).text
    reminder = ReminderEvent.model_validate(props)
    what = reminder.message or reminder.type.value.replace("_", " ")
    return f"Reminder due for {who}: {what}"


def ticker_item(event: EventEnvelope, name: str | None, zone: ZoneInfo) -> dict[str, Any]:
    """The item as served (the Redis Stream id is added as `id` when it is read back)."""
    kind = _KIND_OF[event.event_name]
    who = name or "a customer"
    return {
        "kind": kind.value,
        "at": event.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "customer_id": str(event.customer_id) if event.customer_id else None,
        "text": sentence(event, who, zone),
        "data": {
            "event_name": event.event_name.value,
            "event_id": event.event_id,
            "properties": event.properties,
        },
    }
