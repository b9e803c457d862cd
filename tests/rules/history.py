"""Building customer histories for the rules' tests: envelopes as ingest and customers send them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.decisions import Decision, decide
from crm_rules.policy.reminder import Reminder
from crm_rules.policy.replay import intended_reminders
from crm_rules.policy.rules import Intended
from crm_schemas.account_settings import (
    SEED_ACTOR,
    AutomationSettings,
    SettingsChange,
    SettingsHistory,
)
from crm_schemas.contact import Consent
from crm_schemas.envelope import EventEnvelope
from crm_schemas.pipeline import PipelineState, Status
from crm_schemas.system_properties import ReminderRule, ReminderType
from crm_servicekit.accounts import Account

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Oslo
H, D, M = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)
ACCOUNT = Account(account_id="acme")

PROPERTIES: dict[str, dict[str, Any]] = {
    "MESSAGE_RECEIVED": {"channel": "ig"},
    "MESSAGE_SENT": {"channel": "ig"},
    "PURCHASED": {"amount": "10", "currency": "EUR", "product_ids": ["p1"]},
}


def manual_reminder(
    scheduled_for: datetime,
    trigger_event_id: str,
    *,
    customer: uuid.UUID | None = None,
    account: str = "acme",
    created_at: datetime = T0,
) -> Reminder:
    """An open custom reminder a person made through the API, as the store holds it (a new
    customer unless one is named)."""
    return Reminder(
        id=uuid.uuid4(),
        account_id=account,
        customer_id=customer or uuid.uuid4(),
        type=ReminderType.CUSTOM,
        rule=ReminderRule.MANUAL,
        trigger_event_id=trigger_event_id,
        automated=False,
        scheduled_for=scheduled_for,
        rule_scheduled_for=scheduled_for,
        created_at=created_at,
    )


def event(
    name: str,
    at: datetime,
    customer: uuid.UUID,
    *,
    event_id: str | None = None,
    account: str = "acme",
    source: str = "ig",
    properties: dict[str, Any] | None = None,
    messaging: bool | None = None,
) -> EventEnvelope:
    props = properties if properties is not None else dict(PROPERTIES.get(name, {}))
    if name == "MEETING_BOOKED" and properties is None:
        props = {"booking_time": (at + D).isoformat()}
    return EventEnvelope(
        event_name=name,
        event_id=event_id or f"{name.lower()}-{uuid.uuid4().hex[:10]}",
        timestamp=at,
        account_id=account,
        customer_id=customer,
        source=source,
        properties=props,
        consent=Consent(messaging=messaging) if messaging is not None else None,
        received_at=at,
        producer="tests",
    )


def status_changed(
    at: datetime,
    customer: uuid.UUID,
    before: Status,
    after: Status,
    *,
    cause_name: str,
    person: bool,
    account: str = "acme",
) -> EventEnvelope:
    return EventEnvelope(
        event_name="STATUS_CHANGED",
        event_id=f"status-{uuid.uuid4().hex[:10]}",
        timestamp=at,
        account_id=account,
        customer_id=customer,
        source="system",
        properties={
            "from": PipelineState(status=before).model_dump(mode="json"),
            "to": PipelineState(status=after).model_dump(mode="json"),
            "cause_event_id": f"cause-{uuid.uuid4().hex[:6]}",
            "cause_event_name": cause_name,
            "actor": "person" if person else "event",
        },
        received_at=at,
        producer="customers",
    )


def settings_changed(
    at: datetime,
    settings: AutomationSettings,
    *,
    account: str = "acme",
    event_id: str | None = None,
    actor: str = "admin-1",
) -> EventEnvelope:
    """ACCOUNT_SETTINGS_CHANGED as the customers service announces it: account-level (no
    customer), stamped with the change's effective_from, the whole settings after it."""
    return EventEnvelope(
        event_name="ACCOUNT_SETTINGS_CHANGED",
        event_id=event_id or f"settings-{uuid.uuid4().hex[:10]}",
        timestamp=at,
        account_id=account,
        source="system",
        properties={"settings": settings.model_dump(mode="json"), "actor": actor},
        received_at=at,
        producer="customers",
    )


SEEDED_AT = T0 - 30 * D


def seeded(account: Account = ACCOUNT, at: datetime = SEEDED_AT) -> EventEnvelope:
    """The seed the customers service sends first: the accounts file's values."""
    return settings_changed(
        at, account.seed_settings(), account=account.account_id, actor=SEED_ACTOR
    )


def history_of(
    *changes: tuple[datetime, dict[str, Any]], account: Account = ACCOUNT
) -> SettingsHistory:
    """The account's history as the customers service makes it: the seed (the accounts
    file's values) a month before T0, then each patch laid over the settings before it."""
    current = account.seed_settings()
    kept = [SettingsChange(SEEDED_AT, current)]
    for at, patch in changes:
        current = current.merged(patch)
        kept.append(SettingsChange(at, current))
    return SettingsHistory(kept, account.seed_settings())


def replay(
    envelopes: Iterable[EventEnvelope],
    *,
    account: Account = ACCOUNT,
    stored: Iterable[Reminder] = (),
    settings: SettingsHistory | None = None,
) -> dict[uuid.UUID, Intended]:
    envelopes = list(envelopes)
    customer = envelopes[0].customer_id
    assert customer is not None
    events = [CustomerEvent.from_envelope(e) for e in envelopes]
    return intended_reminders(account, customer, events, stored, settings)


def open_times(intended: dict[uuid.UUID, Intended]) -> dict[str, list[datetime]]:
    """type -> sorted scheduled_for of the open reminders."""
    found: dict[str, list[datetime]] = {}
    for reminder in intended.values():
        if reminder.is_open:
            found.setdefault(reminder.type.value, []).append(reminder.scheduled_for)
    return {k: sorted(v) for k, v in found.items()}


# What a generated history draws its facts from: events of the catalog, and a customer
# opting out or back in (fact_event).
FACT_NAMES = (
    "DM_STARTED",
    "MESSAGE_SENT",
    "MESSAGE_RECEIVED",
    "INVITE_SENT",
    "LEAD_QUALIFIED",
    "MEETING_BOOKED",
    "NO_SHOW",
    "MEETING_HELD",
    "VIDEO_SENT",
    "FOLLOW_UP_DONE",
    "PURCHASED",
    "OPT_OUT",
    "OPT_IN",
)


def fact_event(
    name: str,
    at: datetime,
    customer: uuid.UUID,
    *,
    event_id: str | None = None,
    account: str = "acme",
) -> EventEnvelope:
    """A fact named in FACT_NAMES: OPT_OUT and OPT_IN are a MESSAGE_SENT with that consent."""
    if name in ("OPT_OUT", "OPT_IN"):
        messaging = name == "OPT_IN"
        return event(
            "MESSAGE_SENT", at, customer, event_id=event_id, account=account, messaging=messaging
        )
    return event(name, at, customer, event_id=event_id, account=account)


def arrive_one_by_one(
    envelopes: Iterable[EventEnvelope], *, account: Account = ACCOUNT
) -> tuple[dict[uuid.UUID, Reminder], list[list[Decision]]]:
    """What the service does: after each arrival, replay and apply the decisions."""
    stored: dict[uuid.UUID, Reminder] = {}
    seen: list[CustomerEvent] = []
    steps = []
    for envelope in envelopes:
        assert envelope.customer_id is not None
        seen.append(CustomerEvent.from_envelope(envelope))
        intended = intended_reminders(account, envelope.customer_id, seen, stored.values())
        decisions = decide(
            account.account_id, envelope.customer_id, intended, stored, envelope.timestamp
        )
        for decision in decisions:
            stored[decision.reminder.id] = decision.reminder
        steps.append(decisions)
    return stored, steps


def customer_created(
    at: datetime,
    customer: uuid.UUID,
    state: PipelineState | None = None,
    *,
    origin: str | None = "api",
    account: str = "acme",
) -> EventEnvelope:
    """CUSTOMER_CREATED as the customers service announces it: `api` for a person's POST
    (an import, at the state given), `event` for a customer a fact created."""
    properties: dict[str, Any] = {
        "customer": {"name": "Imported"},
        "state": (state or PipelineState()).model_dump(mode="json"),
        "created_at": at.isoformat(),
    }
    if origin is not None:
        properties["origin"] = origin
    return EventEnvelope(
        event_name="CUSTOMER_CREATED",
        event_id=f"created-{uuid.uuid4().hex[:10]}",
        timestamp=at,
        account_id=account,
        customer_id=customer,
        source="system",
        properties=properties,
        received_at=at,
        producer="customers",
    )
