"""The next best action: docs/domain.md's table as data, evaluated over a projection at `as_of`.

`NBA_TABLE` holds one `Row` per line of the table, first match wins; adding a rule is
adding a row. Time-dependent rows change without a new event, so `assess` also says
when the answer would next change, and since when the current one has held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crm_nba.policy.projection import OpenReminder, Projection, signed_up_at
from crm_nba.policy.wording import REMINDER_NAMES, local_moment
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.pipeline import BookingState, Status
from crm_schemas.system_properties import Recommendation, Urgency

VIDEO_FEEDBACK_AFTER = timedelta(hours=24)
FEEDBACK_AFTER_STAGE_ENTRY = timedelta(hours=48)
SILENCE = timedelta(days=7)
ONBOARDING = timedelta(days=30)
# "More than the grace" and "over 30 days" are strict: the first instant past them is one
# microsecond later (the finest time PostgreSQL and Python share).
JUST_AFTER = timedelta(microseconds=1)

NONE_ACTION = "none"


@dataclass(frozen=True)
class Situation:
    """What a matching row found: when the action is due, why, and the facts behind it."""

    due_at: datetime | None
    reason: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class Context:
    as_of: datetime
    zone: ZoneInfo
    overdue_grace: timedelta

    def at(self, moment: datetime) -> str:
        return local_moment(moment, self.zone)


Matcher = Callable[[Projection, Context], Situation | None]


@dataclass(frozen=True)
class Row:
    action: str
    title: str
    priority: int
    matches: Matcher
    # Rows after the first apply only to open stages, except onboard (docs/domain.md).
    open_stages_only: bool = True


def _iso(moment: datetime | None) -> str | None:
    # As every time in a response: UTC, written with Z (docs/architecture.md, 'Time').
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def overdue_reminder(p: Projection, c: Context) -> Situation | None:
    # The grace is never negative, so whenever any reminder is overdue the oldest is: the
    # oldest overdue is the oldest open one, and no other reminder needs looking at.
    oldest = oldest_reminder(p)
    if oldest is None or not is_overdue(oldest, c.as_of, c.overdue_grace):
        return None
    return Situation(
        oldest.scheduled_for,
        f"The {REMINDER_NAMES[oldest.type]} was due {c.at(oldest.scheduled_for)} and is overdue",
        {"reminder_id": str(oldest.reminder_id), "reminder_type": oldest.type.value},
    )


def no_show_without_new_booking(p: Projection, c: Context) -> Situation | None:
    # A newer MEETING_BOOKED replaces the booking, so a booking still no_show has none newer.
    if p.state.booking.state is not BookingState.NO_SHOW or p.no_show_at is None:
        return None
    return Situation(
        p.no_show_at,
        f"No-show on {c.at(p.no_show_at)}, no new booking yet",
        {"no_show_at": _iso(p.no_show_at), "booking_time": _iso(p.state.booking.time)},
    )


def video_unanswered_for_a_day(p: Projection, c: Context) -> Situation | None:
    video = p.last_video_at
    if video is None or c.as_of - video < VIDEO_FEEDBACK_AFTER:
        return None
    if p.last_follow_up_done_at is not None and p.last_follow_up_done_at >= video:
        return None
    return Situation(
        video + VIDEO_FEEDBACK_AFTER,
        f"Video sent {c.at(video)}, no follow-up since",
        {"video_sent_at": _iso(video)},
    )


def qualified_without_presentation(p: Projection, c: Context) -> Situation | None:
    if p.state.status is not Status.QUALIFIED:
        return None
    return Situation(
        p.stage_entered_at,
        f"Qualified {_since(p, c)}, no presentation yet",
        {"qualified_at": _iso(p.stage_entered_at)},
    )


def presentation_awaiting_feedback(p: Projection, c: Context) -> Situation | None:
    if p.state.status not in (Status.PRESENTATION_SENT, Status.FOLLOW_UP):
        return None
    entered = p.stage_entered_at
    return Situation(
        entered + FEEDBACK_AFTER_STAGE_ENTRY if entered else None,
        f"{p.state.status.label} {_since(p, c)}, feedback not asked yet",
        {"stage_entered_at": _iso(entered)},
    )


def silent_for_a_week(p: Projection, c: Context) -> Situation | None:
    quiet_since = silence_start(p)
    if quiet_since is None or c.as_of - quiet_since < SILENCE:
        return None
    return Situation(
        quiet_since + SILENCE,
        f"No activity since {c.at(quiet_since)}",
        {"last_activity_at": _iso(p.last_activity_at)},
    )


def invited_without_why(p: Projection, c: Context) -> Situation | None:
    if p.state.status is not Status.INVITED:
        return None
    return Situation(
        p.stage_entered_at,
        f"Invited {_since(p, c)}, no answer with a Why yet",
        {"invited_at": _iso(p.stage_entered_at)},
    )


def in_relationship(p: Projection, c: Context) -> Situation | None:
    if p.state.status is not Status.RELATIONSHIP:
        return None
    last = p.last_activity_at
    told = f"last activity {c.at(last)}" if last else "no activity recorded"
    return Situation(
        last, f"In a conversation, not invited yet; {told}", {"last_activity_at": _iso(last)}
    )


def new_lead(p: Projection, c: Context) -> Situation | None:
    if p.state.status is not Status.LEAD:
        return None
    created = p.created_at
    told = f"since {c.at(created)}" if created else "with no date known"
    return Situation(
        created, f"New lead {told}, no conversation yet", {"created_at": _iso(created)}
    )


def recently_signed_up(p: Projection, c: Context) -> Situation | None:
    signed = signed_up_at(p)
    if signed is None or c.as_of - signed > ONBOARDING:
        return None
    return Situation(
        signed,
        f"Signed up {c.at(signed)}, in their first 30 days",
        {"signed_up_at": _iso(signed), "joined_team": p.state.joined_team},
    )


# docs/domain.md, "Next best action (nba)": first matching row wins.
NBA_TABLE: tuple[Row, ...] = (
    Row("follow_up_now", "Follow up now", 95, overdue_reminder, open_stages_only=False),
    Row("rebook", "Rebook the meeting", 90, no_show_without_new_booking),
    Row("ask_video_feedback", "Ask what they thought of the video", 85, video_unanswered_for_a_day),
    Row("send_presentation", "Send the presentation", 80, qualified_without_presentation),
    Row("request_feedback", "Ask for feedback", 75, presentation_awaiting_feedback),
    Row("reconnect", "Reconnect", 65, silent_for_a_week),
    Row("ask_why", "Ask for their Why", 60, invited_without_why),
    Row("invite", "Invite them to take a look", 50, in_relationship),
    Row("start_conversation", "Start the conversation", 50, new_lead),
    Row("onboard", "Onboard them", 40, recently_signed_up, open_stages_only=False),
)


def urgency_of(priority: int) -> Urgency:
    if priority >= 90:
        return Urgency.CRITICAL
    if priority >= 75:
        return Urgency.HIGH
    if priority >= 60:
        return Urgency.MEDIUM
    return Urgency.LOW


def is_overdue(reminder: OpenReminder, as_of: datetime, grace: timedelta) -> bool:
    return reminder.scheduled_for <= as_of and as_of - reminder.scheduled_for > grace


def oldest_reminder(p: Projection) -> OpenReminder | None:
    """The open reminder scheduled first: a projection lists them soonest first."""
    return p.open_reminders[0] if p.open_reminders else None


def silence_start(p: Projection) -> datetime | None:
    # A customer never active has been silent since they became known.
    return p.last_activity_at or p.created_at


def why_no_action(p: Projection, as_of: datetime) -> str | None:
    """Why a customer gets `none`, or None when the table applies."""
    if p.deleted:
        return "Customer deleted"
    if p.state.opted_out:
        return "Opted out of messages"
    if p.state.status is Status.NOT_NOW:
        return "Marked Not Now"
    signed = signed_up_at(p)
    if signed is not None and as_of - signed > ONBOARDING:
        return "Signed up more than 30 days ago"
    return None


def recommend(p: Projection, as_of: datetime, settings: SettingsHistory) -> Recommendation:
    """The customer's recommendation at `as_of` (the facts are all those in the projection),
    under the account's settings in force then."""
    in_force = settings.in_force(as_of)
    context = Context(as_of=as_of, zone=in_force.zone, overdue_grace=in_force.overdue_grace)
    facts = _state_facts(p)
    if (reason := why_no_action(p, as_of)) is None:
        for row in NBA_TABLE:
            if row.open_stages_only and not p.state.status.is_open:
                continue
            if (found := row.matches(p, context)) is not None:
                return Recommendation(
                    customer_id=p.customer_id,
                    action=row.action,
                    title=row.title,
                    reason=found.reason,
                    priority=row.priority,
                    urgency=urgency_of(row.priority),
                    due_at=found.due_at,
                    facts=facts | found.facts,
                    computed_at=as_of,
                )
        reason = "No rule applies"
    return Recommendation(
        customer_id=p.customer_id,
        action=NONE_ACTION,
        title="No action",
        reason=reason,
        priority=0,
        urgency=urgency_of(0),
        due_at=None,
        facts=facts,
        computed_at=as_of,
    )


def _state_facts(p: Projection) -> dict[str, Any]:
    return {
        "status": p.state.status.value,
        "booking_state": p.state.booking.state.value,
        "opted_out": p.state.opted_out,
        "last_activity_at": _iso(p.last_activity_at),
        "open_reminders": len(p.open_reminders),
    }


def _since(p: Projection, c: Context) -> str:
    return f"since {c.at(p.stage_entered_at)}" if p.stage_entered_at else "(date unknown)"
