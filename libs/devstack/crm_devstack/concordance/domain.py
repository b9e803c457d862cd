"""DOMAIN.md's automation rules, next-best-action rows and KPIs, as data for the concordance.

The services that carry them out are not built yet, so their tables are written here; every
event, reminder type and rule they name is an enum member, so a renamed event or reminder
breaks this module instead of leaving the report silently wrong.
"""

from __future__ import annotations

from typing import NamedTuple

from crm_schemas.catalog import ACTIVITY_EVENTS, CATALOG, EventName
from crm_schemas.system_properties import ReminderRule, ReminderType, Urgency


class RuleRow(NamedTuple):
    trigger: str
    events: tuple[EventName, ...]
    rule: ReminderRule | None
    reminders: tuple[tuple[ReminderType, str], ...]
    also: str = ""


# Catalog order, so the report lists the activity events as the catalog does.
_ACTIVITY = tuple(name for name in CATALOG if name in ACTIVITY_EVENTS)

RULES: tuple[RuleRow, ...] = (
    RuleRow(
        "VIDEO_SENT",
        (EventName.VIDEO_SENT,),
        ReminderRule.VIDEO_SENT,
        ((ReminderType.FOLLOW_UP_24H, "+24h"), (ReminderType.FOLLOW_UP_48H, "+48h")),
        "open reminders of an earlier video are canceled (superseded)",
    ),
    RuleRow(
        "NO_SHOW",
        (EventName.NO_SHOW,),
        ReminderRule.NO_SHOW,
        ((ReminderType.FOLLOW_UP_2H, "+2h"), (ReminderType.FOLLOW_UP_1D, "+1 day")),
    ),
    RuleRow(
        "MEETING_BOOKED after a no-show",
        (EventName.MEETING_BOOKED,),
        ReminderRule.NO_SHOW,
        (),
        "open no-show reminders are canceled",
    ),
    RuleRow(
        "STATUS_CHANGED into presentation_sent whose cause is not VIDEO_SENT",
        (EventName.STATUS_CHANGED,),
        ReminderRule.PRESENTATION_SENT,
        ((ReminderType.FOLLOW_UP_48H, "+48h from the cause's timestamp"),),
        "not created while a follow_up_48h is open",
    ),
    RuleRow(
        "any activity",
        _ACTIVITY,
        ReminderRule.INACTIVITY,
        ((ReminderType.FOLLOW_UP_7D, "last activity +7 days"),),
        "one open per customer; created, or rescheduled with REMINDER_RESCHEDULED",
    ),
    RuleRow(
        "FOLLOW_UP_DONE",
        (EventName.FOLLOW_UP_DONE,),
        None,
        (),
        "completes every open automated reminder of that customer with scheduled_for ≤ its "
        "timestamp",
    ),
    RuleRow(
        "PURCHASED, JOINED_TEAM (signed_up) or not_now",
        (EventName.PURCHASED, EventName.JOINED_TEAM, EventName.STATUS_CHANGED),
        None,
        (),
        "all open automated reminders are canceled",
    ),
    RuleRow(
        "opt-out, deletion",
        (EventName.UNSUBSCRIBED, EventName.CUSTOMER_DELETED),
        None,
        (),
        "all open reminders are canceled (opt-out also by consent.messaging false on any event)",
    ),
)


class NbaRow(NamedTuple):
    situation: str
    action: str
    priority: int
    due_at: str


NBA_ROWS: tuple[NbaRow, ...] = (
    NbaRow("an open reminder is overdue", "follow_up_now", 95, "that reminder's scheduled_for"),
    NbaRow("booking no_show, no newer booking", "rebook", 90, "the no-show's time"),
    NbaRow(
        "video sent ≥ 24h ago, no FOLLOW_UP_DONE since",
        "ask_video_feedback",
        85,
        "video time + 24h",
    ),
    NbaRow("qualified, no presentation yet", "send_presentation", 80, "time qualified"),
    NbaRow("presentation_sent or follow_up", "request_feedback", 75, "stage entry + 48h"),
    NbaRow("open stage, no activity for 7 days", "reconnect", 65, "last activity + 7 days"),
    NbaRow("invited", "ask_why", 60, "time invited"),
    NbaRow("relationship", "invite", 50, "last activity"),
    NbaRow("lead", "start_conversation", 50, "creation time"),
    NbaRow("signed_up within 30 days", "onboard", 40, "signed-up time"),
    NbaRow(
        "opted out, deleted, not_now, or signed_up over 30 days ago",
        "none",
        0,
        "none (not listed)",
    ),
)


def urgency_of(priority: int) -> Urgency:
    """DOMAIN.md: priority ≥ 90 critical, ≥ 75 high, ≥ 60 medium, else low."""
    if priority >= 90:
        return Urgency.CRITICAL
    if priority >= 75:
        return Urgency.HIGH
    if priority >= 60:
        return Urgency.MEDIUM
    return Urgency.LOW


class Kpi(NamedTuple):
    name: str
    unit: str
    events: tuple[EventName, ...] = ()


KPIS: tuple[Kpi, ...] = (
    Kpi("new_leads", "customers created in the period"),
    Kpi("dms_started", "customers with a DM_STARTED in the period", (EventName.DM_STARTED,)),
    Kpi("invites_sent", "events in the period", (EventName.INVITE_SENT,)),
    Kpi("videos_sent", "events in the period", (EventName.VIDEO_SENT,)),
    Kpi("meetings_booked", "events in the period", (EventName.MEETING_BOOKED,)),
    Kpi("meetings_held", "events in the period", (EventName.MEETING_HELD,)),
    Kpi("no_shows", "events in the period", (EventName.NO_SHOW,)),
    Kpi(
        "follow_ups_done",
        "FOLLOW_UP_DONE events + follow_up_* reminders completed by a person",
        (EventName.FOLLOW_UP_DONE, EventName.REMINDER_COMPLETED),
    ),
    Kpi(
        "signed_up",
        "customers whose first PURCHASED or JOINED_TEAM is in the period",
        (EventName.PURCHASED, EventName.JOINED_TEAM),
    ),
    Kpi("reminders_due", "open reminders at as_of (due includes overdue)"),
    Kpi("reminders_overdue", "open reminders at as_of past the account's overdue_grace"),
    Kpi("next_actions_overdue", "customers in open stages whose next_action_date is before as_of"),
    Kpi("by_status", "current customers by canonical status; opted_out counted apart"),
    Kpi("by_pipeline_status", "current customers by the term of a vocabulary"),
    Kpi("dmo", "invites and follow-ups per local day against targets, pct, met, streak"),
    Kpi(
        "funnel",
        "cohort, qualified, booked, held, signed_up, show and no-show rates, rebook recovery",
        (
            EventName.DM_STARTED,
            EventName.LEAD_QUALIFIED,
            EventName.MEETING_BOOKED,
            EventName.MEETING_HELD,
            EventName.NO_SHOW,
        ),
    ),
    Kpi(
        "speed_to_lead",
        "time from DM_STARTED to the first MESSAGE_SENT: median_s, p90_s, sla_5min_ratio",
        (EventName.DM_STARTED, EventName.MESSAGE_SENT),
    ),
    Kpi("pipeline_health", "open, not opted-out customers with activity in the last 7 days"),
    Kpi(
        "ticker",
        "newest first: events, NBA changes, coaching prompts, due reminders",
        (
            EventName.MEETING_BOOKED,
            EventName.MEETING_HELD,
            EventName.NO_SHOW,
            EventName.VIDEO_SENT,
            EventName.PURCHASED,
            EventName.JOINED_TEAM,
            EventName.NBA_CHANGED,
            EventName.COACHING_PROMPT,
            EventName.REMINDER_DUE,
        ),
    ),
)
