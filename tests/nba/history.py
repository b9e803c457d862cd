"""Building customer histories for the NBA tests: docs/domain.md's scenarios as envelopes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_schemas.account_settings import SettingsHistory
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import PipelineState
from crm_servicekit.accounts import Account

# Tue 3 Nov 2026 13:00 UTC is 14:00 in Europe/Oslo (CET).
T = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
D = timedelta(days=1)


def unchanged(account: Account) -> SettingsHistory:
    """The settings history of an account that never changed its settings: the accounts
    file's values at every instant."""
    return SettingsHistory([], account.seed_settings())


class History:
    """One customer's events, with event ids that stay stable within the history."""

    def __init__(self, customer: uuid.UUID | None = None, account: str = "acme") -> None:
        self.customer = customer or uuid.uuid4()
        self.account = account
        self.events: list[EventEnvelope] = []

    def add(
        self,
        name: str,
        at: datetime,
        properties: dict[str, Any] | None = None,
        *,
        consent: dict[str, Any] | None = None,
        event_id: str | None = None,
        source: str = "ig",
    ) -> EventEnvelope:
        event = EventEnvelope(
            event_name=name,
            event_id=event_id or f"{name.lower()}-{self.customer.hex[:8]}-{len(self.events)}",
            timestamp=at,
            account_id=self.account,
            customer_id=self.customer,
            source=source,
            properties=properties or {},
            consent=consent,
            received_at=at,
            producer="tests",
        )
        self.events.append(event)
        return event

    def reminder(
        self,
        name: str,
        at: datetime,
        reminder_id: uuid.UUID,
        type_: str,
        scheduled_for: datetime,
        **extra: Any,
    ) -> EventEnvelope:
        rule = {
            "follow_up_2h": "no_show",
            "follow_up_1d": "no_show",
            "follow_up_24h": "video_sent",
            "follow_up_48h": "video_sent",
            "follow_up_7d": "inactivity",
        }.get(type_, "manual")
        props = {
            "reminder_id": str(reminder_id),
            "type": type_,
            "rule": rule,
            "scheduled_for": scheduled_for.isoformat(),
            "trigger_event_id": "trigger",
            "automated": type_ != "custom",
            **extra,
        }
        return self.add(name, at, props, source="system")

    def created(
        self, at: datetime, state: PipelineState | None = None, origin: str | None = None
    ) -> EventEnvelope:
        """CUSTOMER_CREATED; `origin` `api` for a person's POST, `event` for a fact's."""
        props: dict[str, Any] = {
            "customer": {"name": "Kari"},
            "state": (state or PipelineState()).model_dump(mode="json"),
            "created_at": at.isoformat(),
        }
        if origin is not None:
            props["origin"] = origin
        return self.add("CUSTOMER_CREATED", at, props, source="system")

    def person_move(
        self, at: datetime, before: PipelineState, after: PipelineState
    ) -> EventEnvelope:
        props = {
            "from": before.model_dump(mode="json"),
            "to": after.model_dump(mode="json"),
            "cause_event_id": f"api-{len(self.events)}",
            "cause_event_name": "STATUS_CHANGED",
            "actor": "person",
        }
        return self.add("STATUS_CHANGED", at, props, source="system")


def s_noshow(h: History) -> dict[str, uuid.UUID]:
    """S-NoShow, with the reminders rules would create."""
    h.add("DM_STARTED", T)
    h.add("INVITE_SENT", T + H)
    h.add("MEETING_BOOKED", T + 2 * H, {"booking_time": (T + D).isoformat()})
    h.add("NO_SHOW", T + D + 15 * M, event_id=f"noshow-{h.customer.hex[:8]}")
    ids = {"2h": uuid.uuid4(), "1d": uuid.uuid4(), "7d": uuid.uuid4()}
    at = T + D + 15 * M
    h.reminder("REMINDER_CREATED", at, ids["2h"], "follow_up_2h", at + 2 * H)
    h.reminder("REMINDER_CREATED", at, ids["1d"], "follow_up_1d", at + D)
    h.reminder("REMINDER_CREATED", at, ids["7d"], "follow_up_7d", at + 7 * D)
    return ids


def s_video(h: History) -> dict[str, uuid.UUID]:
    """S-Video, with its reminders."""
    h.add("DM_STARTED", T)
    h.add("VIDEO_SENT", T + 3 * H)
    ids = {"24h": uuid.uuid4(), "48h": uuid.uuid4()}
    h.reminder("REMINDER_CREATED", T + 3 * H, ids["24h"], "follow_up_24h", T + 27 * H)
    h.reminder("REMINDER_CREATED", T + 3 * H, ids["48h"], "follow_up_48h", T + 51 * H)
    return ids


def s_inactivity(h: History) -> uuid.UUID:
    """S-Inactivity: a 7-day reminder moved by an invite at T+5d."""
    seven = uuid.uuid4()
    h.add("DM_STARTED", T)
    h.reminder("REMINDER_CREATED", T, seven, "follow_up_7d", T + 7 * D)
    h.add("INVITE_SENT", T + 5 * D)
    h.reminder("REMINDER_RESCHEDULED", T + 5 * D, seven, "follow_up_7d", T + 12 * D)
    return seven


def s1(h: History) -> None:
    """S1: DM, invite, video, no-show."""
    h.add("DM_STARTED", T)
    h.add("INVITE_SENT", T + H)
    h.add("VIDEO_SENT", T + 2 * H)
    h.add("NO_SHOW", T + 3 * H)
