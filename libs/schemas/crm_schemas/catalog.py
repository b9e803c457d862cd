"""The event catalog: each event name, its properties, who emits it, whether it is activity."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crm_schemas import properties as p
from crm_schemas import system_properties as s
from crm_schemas.account_settings import AccountSettingsChanged


class EventName(StrEnum):
    # From outside: webhooks and the Kundekort buttons.
    DM_STARTED = "DM_STARTED"
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    MESSAGE_SENT = "MESSAGE_SENT"
    INVITE_SENT = "INVITE_SENT"
    LEAD_QUALIFIED = "LEAD_QUALIFIED"
    MEETING_BOOKED = "MEETING_BOOKED"
    MEETING_HELD = "MEETING_HELD"
    NO_SHOW = "NO_SHOW"
    MEETING_CANCELED = "MEETING_CANCELED"
    VIDEO_SENT = "VIDEO_SENT"
    FOLLOW_UP_DONE = "FOLLOW_UP_DONE"
    PURCHASED = "PURCHASED"
    JOINED_TEAM = "JOINED_TEAM"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    # Emitted by the services (source `system`).
    CUSTOMER_CREATED = "CUSTOMER_CREATED"
    CUSTOMER_UPDATED = "CUSTOMER_UPDATED"
    CUSTOMER_DELETED = "CUSTOMER_DELETED"
    STATUS_CHANGED = "STATUS_CHANGED"
    INTERACTION_LOGGED = "INTERACTION_LOGGED"
    INTERACTION_UPDATED = "INTERACTION_UPDATED"
    INTERACTION_DELETED = "INTERACTION_DELETED"
    REMINDER_CREATED = "REMINDER_CREATED"
    REMINDER_RESCHEDULED = "REMINDER_RESCHEDULED"
    REMINDER_DUE = "REMINDER_DUE"
    REMINDER_COMPLETED = "REMINDER_COMPLETED"
    REMINDER_CANCELED = "REMINDER_CANCELED"
    NBA_CHANGED = "NBA_CHANGED"
    COACHING_PROMPT = "COACHING_PROMPT"
    ACCOUNT_SETTINGS_CHANGED = "ACCOUNT_SETTINGS_CHANGED"


class Emitter(StrEnum):
    OUTSIDE = "outside"
    CUSTOMERS = "customers"
    RULES = "rules"
    NBA = "nba"


@dataclass(frozen=True)
class EventSpec:
    name: EventName
    properties: type[p.Properties]
    emitted_by: Emitter
    meaning: str
    activity: bool = False
    account_level: bool = False


def _spec(
    name: EventName,
    model: type[p.Properties],
    emitter: Emitter,
    meaning: str,
    *,
    activity: bool = False,
    account_level: bool = False,
) -> EventSpec:
    return EventSpec(name, model, emitter, meaning, activity, account_level)


OUT, CUS, RUL, NBA = Emitter.OUTSIDE, Emitter.CUSTOMERS, Emitter.RULES, Emitter.NBA

CATALOG: dict[EventName, EventSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            EventName.DM_STARTED,
            p.DmStarted,
            OUT,
            "a DM conversation began (inbound)",
            activity=True,
        ),
        _spec(
            EventName.MESSAGE_RECEIVED,
            p.MessageReceived,
            OUT,
            "the prospect wrote again",
            activity=True,
        ),
        _spec(
            EventName.MESSAGE_SENT,
            p.MessageSent,
            OUT,
            "the marketer wrote (outbound)",
            activity=True,
        ),
        _spec(
            EventName.INVITE_SENT,
            p.InviteSent,
            OUT,
            "the marketer asked the question",
            activity=True,
        ),
        _spec(
            EventName.LEAD_QUALIFIED,
            p.LeadQualified,
            OUT,
            "yes with a Why, or a qualifying lead form",
            activity=True,
        ),
        _spec(
            EventName.MEETING_BOOKED,
            p.MeetingBooked,
            OUT,
            "intro/presentation booked",
            activity=True,
        ),
        _spec(EventName.MEETING_HELD, p.BookingRef, OUT, "the meeting happened", activity=True),
        _spec(EventName.NO_SHOW, p.BookingRef, OUT, "they did not come", activity=True),
        _spec(EventName.MEETING_CANCELED, p.BookingRef, OUT, "the booking was canceled"),
        _spec(
            EventName.VIDEO_SENT, p.VideoSent, OUT, "a presentation video was sent", activity=True
        ),
        _spec(
            EventName.FOLLOW_UP_DONE,
            p.FollowUpDone,
            OUT,
            "a follow-up conversation happened",
            activity=True,
        ),
        _spec(EventName.PURCHASED, p.Purchased, OUT, "bought a product", activity=True),
        _spec(EventName.JOINED_TEAM, p.NoProperties, OUT, "joined as a partner", activity=True),
        _spec(EventName.UNSUBSCRIBED, p.NoProperties, OUT, "asked not to be contacted"),
        _spec(EventName.CUSTOMER_CREATED, s.CustomerCreated, CUS, "a customer was created"),
        _spec(
            EventName.CUSTOMER_UPDATED,
            s.CustomerUpdated,
            CUS,
            "a customer's fields changed (not the next action mirrored from NBA_CHANGED alone)",
        ),
        _spec(
            EventName.CUSTOMER_DELETED, s.CustomerDeleted, CUS, "a customer was deleted (tombstone)"
        ),
        _spec(EventName.STATUS_CHANGED, s.StatusChanged, CUS, "the pipeline state changed"),
        # Activity at the interaction's occurred_at, not the event's timestamp.
        _spec(
            EventName.INTERACTION_LOGGED,
            s.InteractionEvent,
            CUS,
            "an interaction was logged",
            activity=True,
        ),
        _spec(EventName.INTERACTION_UPDATED, s.InteractionEvent, CUS, "an interaction was changed"),
        _spec(EventName.INTERACTION_DELETED, s.InteractionEvent, CUS, "an interaction was deleted"),
        _spec(EventName.REMINDER_CREATED, s.ReminderEvent, RUL, "a reminder was created"),
        _spec(EventName.REMINDER_RESCHEDULED, s.ReminderEvent, RUL, "a reminder moved"),
        _spec(EventName.REMINDER_DUE, s.ReminderEvent, RUL, "a reminder's time has come"),
        _spec(EventName.REMINDER_COMPLETED, s.ReminderEvent, RUL, "a reminder was completed"),
        _spec(EventName.REMINDER_CANCELED, s.ReminderEvent, RUL, "a reminder was canceled"),
        _spec(EventName.NBA_CHANGED, s.NbaChanged, NBA, "a customer's next best action changed"),
        _spec(
            EventName.COACHING_PROMPT,
            s.CoachingPrompt,
            NBA,
            "a coaching prompt for the account",
            account_level=True,
        ),
        _spec(
            EventName.ACCOUNT_SETTINGS_CHANGED,
            AccountSettingsChanged,
            CUS,
            "the account's automation settings changed",
            account_level=True,
        ),
    )
}

EXTERNAL_EVENTS: frozenset[EventName] = frozenset(
    name for name, spec in CATALOG.items() if spec.emitted_by is Emitter.OUTSIDE
)
SYSTEM_EVENTS: frozenset[EventName] = frozenset(CATALOG) - EXTERNAL_EVENTS

# What "last activity" and inactivity mean. Two more are activity only sometimes, so every
# service asks crm_schemas.fold.activity_time: an event that opts the customer back in (it
# depends on state), and a CUSTOMER_CREATED of a creation through the API in an open stage.
ACTIVITY_EVENTS: frozenset[EventName] = frozenset(
    name for name, spec in CATALOG.items() if spec.activity
)

KNOWN_EVENT_NAMES: frozenset[str] = frozenset(name.value for name in EventName)


def spec_of(name: str) -> EventSpec | None:
    """The catalog entry of an event name, or None for a name newer than this code."""
    try:
        return CATALOG[EventName(name)]
    except ValueError:
        return None
