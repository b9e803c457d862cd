"""Expected reminders of one customer: docs/domain.md's reminder table, applied to the
facts in timestamp order (which is how the rules must behave whatever the arrival order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_backtest.accounts import AccountProfile
from crm_backtest.clock import iso, out_of_quiet_hours
from crm_backtest.history import PERSON_CREATE, Fact
from crm_backtest.pipeline import OPEN_STAGES, Step, fold, is_activity
from crm_backtest.settings_in_force import settings_at


@dataclass
class Reminder:
    type: str
    rule: str
    scheduled_for: datetime
    trigger_event_id: str
    status: str = "open"  # open | completed | canceled

    def key(self) -> tuple[str, str, str]:
        """What the checker compares: the reminder's identity is the system's business."""
        return (self.type, iso(self.scheduled_for), self.status)


class ReminderBook:
    """One customer's reminders as the rules service must hold them."""

    def __init__(self, profile: AccountProfile) -> None:
        self.profile = profile
        self.items: list[Reminder] = []

    def open(self) -> list[Reminder]:
        return [r for r in self.items if r.status == "open"]

    def _close(self, status: str, which: list[Reminder]) -> None:
        for reminder in which:
            reminder.status = status

    def _create(self, type_: str, rule: str, trigger_at: datetime, trigger: str) -> None:
        """The reminder a trigger makes by the settings in force at the trigger's time: none
        for a type switched off, else at its delay, out of that time's quiet hours."""
        settings = settings_at(self.profile, trigger_at)
        if not settings.enabled(type_):
            return
        at = trigger_at + settings.delay(type_)
        when = out_of_quiet_hours(at, settings.time_zone, settings.quiet_hours)
        self.items.append(Reminder(type_, rule, when, trigger))

    def apply(self, step: Step) -> None:
        fact, before, after = step.fact, step.before, step.after
        # Cancellations and completions come first (docs/domain.md: within one event).
        if after.opted_out and not (before and before.opted_out):
            self._close("canceled", self.open())
        if after.status in ("signed_up", "not_now"):
            self._close("canceled", self.open())
        if fact.name == "VIDEO_SENT":
            self._close("canceled", [r for r in self.open() if r.rule == "video_sent"])
        if fact.name == "MEETING_BOOKED":
            self._close("canceled", [r for r in self.open() if r.rule == "no_show"])
        if fact.name == "FOLLOW_UP_DONE":
            done = [r for r in self.open() if r.scheduled_for <= fact.at]
            self._close("completed", done)
        if after.status not in OPEN_STAGES or after.opted_out:
            return
        self._create_for(step)

    def _create_for(self, step: Step) -> None:
        fact, before, after = step.fact, step.before, step.after
        if fact.name == PERSON_CREATE:
            # An import records where someone is, no trigger: only its activity counts.
            if is_activity(before, after, fact):
                self._inactivity(fact)
            return
        if fact.name == "VIDEO_SENT":
            self._create("follow_up_24h", "video_sent", fact.at, fact.event_id)
            self._create("follow_up_48h", "video_sent", fact.at, fact.event_id)
        if fact.name == "NO_SHOW":
            self._create("follow_up_2h", "no_show", fact.at, fact.event_id)
            self._create("follow_up_1d", "no_show", fact.at, fact.event_id)
        entered_show = after.status == "presentation_sent" and (
            before is None or before.status != "presentation_sent"
        )
        one_open = any(r.type == "follow_up_48h" for r in self.open())
        if entered_show and fact.name != "VIDEO_SENT" and not one_open:
            self._create("follow_up_48h", "presentation_sent", fact.at, fact.event_id)
        if is_activity(before, after, fact):
            self._inactivity(fact)

    def _inactivity(self, fact: Fact) -> None:
        """One open follow_up_7d per customer, kept at the last activity + its delay; with the
        type switched off, the activity cancels the open one instead of moving it."""
        settings = settings_at(self.profile, fact.at)
        current = next((r for r in self.open() if r.type == "follow_up_7d"), None)
        if not settings.enabled("follow_up_7d"):
            if current is not None:
                current.status = "canceled"
            return
        at = fact.at + settings.delay("follow_up_7d")
        when = out_of_quiet_hours(at, settings.time_zone, settings.quiet_hours)
        if current is None:
            self.items.append(Reminder("follow_up_7d", "inactivity", when, fact.event_id))
        else:  # facts come in timestamp order, so this activity is the latest
            current.scheduled_for = when
            current.trigger_event_id = fact.event_id


def expected_reminders(facts: list[Fact], profile: AccountProfile) -> list[Reminder]:
    book = ReminderBook(profile)
    for step in fold(facts):
        book.apply(step)
    return book.items


def is_due(reminder: Reminder, as_of: datetime) -> bool:
    return reminder.status == "open" and reminder.scheduled_for <= as_of


def is_overdue(reminder: Reminder, as_of: datetime, grace: timedelta) -> bool:
    return is_due(reminder, as_of) and as_of - reminder.scheduled_for > grace
