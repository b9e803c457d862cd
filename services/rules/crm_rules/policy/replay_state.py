"""One step of the reminder rules: the state a customer's replay keeps, and how one more
point of their history (an event, or what a person did to a reminder) changes it.

policy.replay folds a whole history with it; a ReplaySnapshot (policy.snapshot) is this state
written down, so that a later batch continues it instead of folding the history again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from crm_rules.policy.automation import history_of
from crm_rules.policy.customer_event import CustomerEvent
from crm_rules.policy.person_actions import PersonAction
from crm_rules.policy.quiet_hours import outside_quiet_hours
from crm_rules.policy.reminder import Reminder, ReminderStatus, reminder_identity
from crm_rules.policy.rules import (
    CREATED_BY,
    INACTIVITY_7D,
    PRESENTATION_48H,
    SUPERSEDES,
    TYPE_DISABLED,
    Intended,
    RuleReminder,
)
from crm_schemas.account_settings import AutomationSettings, SettingsHistory
from crm_schemas.catalog import EventName
from crm_schemas.fold import apply
from crm_schemas.pipeline import PipelineState, Status
from crm_schemas.system_properties import CompletedBy, ReminderRule, ReminderType
from crm_servicekit.accounts import Account


class ReplayState:
    def __init__(
        self,
        account: Account,
        customer_id: uuid.UUID,
        stored: Iterable[Reminder],
        settings: SettingsHistory | None = None,
    ):
        self.account = account
        self.customer_id = customer_id
        # Each trigger's reminders follow the settings in force at its timestamp.
        self.settings = history_of(account, settings)
        self.state = PipelineState()
        self.last_activity: datetime | None = None
        self.reminders: dict[uuid.UUID, Intended] = {}
        # The open ones by id, in the order they were made: a closed reminder never opens
        # again, so each step looks at the open few rather than at every reminder ever made.
        # Held here as well as in `reminders`, so that listing them (twice or more a step)
        # looks up no id: a UUID's hash is a Python call.
        self._open: dict[uuid.UUID, Intended] = {}
        # A person's snooze moves the time FOLLOW_UP_DONE compares, while the rule's time holds.
        self.snoozed = {r.id: r for r in stored if r.scheduled_for != r.rule_scheduled_for}

    def open(self) -> list[Intended]:
        return list(self._open.values())

    def put(self, reminder: Intended) -> None:
        self.reminders[reminder.id] = reminder
        if reminder.is_open:
            self._open[reminder.id] = reminder
        else:
            self._open.pop(reminder.id, None)

    def forget(self, closed: Iterable[uuid.UUID]) -> None:
        """Drop closed reminders (policy.snapshot says which it may)."""
        for rid in closed:
            if rid not in self._open:
                self.reminders.pop(rid, None)

    def effective_time(self, reminder: Intended) -> datetime:
        snoozed = self.snoozed.get(reminder.id)
        if snoozed is not None and snoozed.rule_scheduled_for == reminder.scheduled_for:
            return snoozed.scheduled_for
        return reminder.scheduled_for

    def close(
        self,
        reminder: Intended,
        at: datetime,
        *,
        completed_by: CompletedBy | None = None,
        cancel_reason: str | None = None,
    ) -> None:
        self.put(
            replace(
                reminder,
                status=ReminderStatus.COMPLETED if completed_by else ReminderStatus.CANCELED,
                closed_at=at,
                completed_by=completed_by,
                cancel_reason=None if completed_by else cancel_reason,
            )
        )

    def create(self, spec: RuleReminder, trigger: CustomerEvent, base: datetime) -> None:
        """The reminder `spec` of this trigger, as the settings in force at the trigger's
        timestamp make it: none for a type they disable, their delay and message (None: the
        table's), their quiet hours."""
        rid = reminder_identity(
            self.account.account_id, self.customer_id, spec.rule, spec.type, trigger.event_id
        )
        if rid in self.reminders:
            return
        settings = self.settings.in_force(trigger.timestamp)
        chosen = settings.reminder(spec.type)
        if not chosen.enabled:
            return
        self.put(
            Intended(
                id=rid,
                type=spec.type,
                rule=spec.rule,
                trigger_event_id=trigger.event_id,
                scheduled_for=self.place(base + chosen.delay, settings),
                message=spec.message if chosen.message is None else chosen.message,
                automated=True,
                created_at=trigger.timestamp,
            )
        )

    def place(self, moment: datetime, settings: AutomationSettings) -> datetime:
        return outside_quiet_hours(moment, settings.zone, settings.quiet_hours)

    def then(self, point: CustomerEvent | PersonAction) -> ReplayState:
        """The replay after one more point of the history; it updates itself (a replay is
        the log's state, and every re-fold starts a new one)."""
        if isinstance(point, CustomerEvent):
            self.on_event(point)
        else:
            self.on_person(point)
        return self

    def on_event(self, event: CustomerEvent) -> None:
        before = self.state
        if event.fact is not None:
            self.state = apply(before, event.fact)
        after, at = self.state, event.timestamp
        # Cancellations and completions first.
        if after.opted_out and not before.opted_out:
            for reminder in self.open():
                self.close(reminder, at, cancel_reason="opted_out")
        elif not after.status.is_open:
            for reminder in self.open():
                if reminder.automated:
                    self.close(reminder, at, cancel_reason=after.status.value)
        superseded = SUPERSEDES.get(event.event_name)
        for reminder in self.open():
            if reminder.rule is superseded:
                self.close(reminder, at, cancel_reason=f"superseded by {event.event_name}")
            elif (
                event.event_name is EventName.FOLLOW_UP_DONE
                and reminder.automated
                and self.effective_time(reminder) <= at
            ):
                self.close(reminder, at, completed_by=CompletedBy.FOLLOW_UP_DONE)
        activity = event.activity_at
        opts_back_in = before.opted_out and not after.opted_out
        if activity is None and opts_back_in:
            activity = at  # opting back in counts as activity (docs/domain.md, consent)
        if activity is not None and (self.last_activity is None or activity > self.last_activity):
            self.last_activity = activity
        # Then creation and rescheduling, only for a customer open and reachable after it.
        if not after.status.is_open or after.opted_out:
            return
        for spec in CREATED_BY.get(event.event_name, ()):
            self.create(spec, event, at)
        if _enters_presentation(before, after, event) and not any(
            r.type is ReminderType.FOLLOW_UP_48H for r in self.open()
        ):
            self.create(PRESENTATION_48H, event, at)
        if activity is not None and self.last_activity is not None:
            self.keep_inactivity(event, self.last_activity)

    def keep_inactivity(self, event: CustomerEvent, last_activity: datetime) -> None:
        """One open follow_up_7d at last activity + its delay (the inactivity span); it keeps
        its id when it moves. While the type is disabled, activity cancels the open one."""
        settings = self.settings.in_force(event.timestamp)
        chosen = settings.reminder(INACTIVITY_7D.type)
        current = next((r for r in self.open() if r.rule is ReminderRule.INACTIVITY), None)
        if not chosen.enabled:
            if current is not None:
                self.close(current, event.timestamp, cancel_reason=TYPE_DISABLED)
            return
        wanted = self.place(last_activity + chosen.delay, settings)
        if current is None:
            self.create(INACTIVITY_7D, event, last_activity)
        elif wanted != current.scheduled_for:
            self.put(replace(current, scheduled_for=wanted, trigger_event_id=event.event_id))

    def on_person(self, action: PersonAction) -> None:
        stored = action.reminder
        if (
            not stored.automated
            and stored.created_at == action.at
            and stored.id not in self.reminders
        ):
            self.put(
                Intended(
                    id=stored.id,
                    type=stored.type,
                    rule=stored.rule,
                    trigger_event_id=stored.trigger_event_id,
                    scheduled_for=stored.rule_scheduled_for,
                    message=stored.message,
                    automated=False,
                    created_at=stored.created_at,
                )
            )
        current = self.reminders.get(stored.id)
        if current is None and stored.rule is ReminderRule.INACTIVITY:
            # The one follow_up_7d, whatever id the replay gave it (see policy.decisions).
            current = next((r for r in self.open() if r.rule is ReminderRule.INACTIVITY), None)
        if current is not None and current.is_open and stored.closed_at == action.at:
            self.close(
                current,
                action.at,
                completed_by=stored.completed_by,
                cancel_reason=stored.cancel_reason,
            )


def _enters_presentation(before: PipelineState, after: PipelineState, event: CustomerEvent) -> bool:
    """Entering presentation_sent other than by a video, judged by this service's own fold.

    The fold sees the facts (MEETING_HELD...) and a person's moves (their STATUS_CHANGED), so
    the rule never waits for the customers service's STATUS_CHANGED of a fact: waiting would
    make the trigger late whenever a later fact (FOLLOW_UP_DONE, PURCHASED) got here first.
    """
    return (
        after.status is Status.PRESENTATION_SENT
        and before.status is not Status.PRESENTATION_SENT
        and event.event_name is not EventName.VIDEO_SENT
    )
