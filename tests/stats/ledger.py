"""The store's semantics in memory: one account's events in, StatsInputs out (pure).

A test fake: it mirrors what the PostgreSQL store keeps and selects, without I/O, so the KPI
tests run without servers and the store's tests have a reference to compare it with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from crm_schemas.account_settings import AutomationSettings, SettingsChange, SettingsHistory
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.next_action import NextActionState
from crm_schemas.pipeline import OPEN_STATUSES, BookingState, PipelineState, Status
from crm_stats.policy.dmo import AccountDays, DayTally, DmoTargets, TargetsInForce
from crm_stats.policy.figures import (
    HEALTHY_WITHIN,
    FirstReply,
    FunnelCustomer,
    StateCount,
    StatsInputs,
)
from crm_stats.policy.milestones import (
    CustomerChange,
    Milestone,
    ReminderChange,
    ReminderStatus,
    Tally,
    customer_change,
    reminder_change,
    tally_of,
)
from crm_stats.policy.periods import Period, in_window, local_date


@dataclass
class CustomerRow:
    earliest: dict[Milestone, datetime] = field(default_factory=dict)
    bookings: list[datetime] = field(default_factory=list)
    no_shows: list[datetime] = field(default_factory=list)
    last_activity: datetime | None = None
    state: PipelineState | None = None
    next_action: NextActionState = field(default_factory=NextActionState)
    deleted: bool = False

    def merge(self, change: CustomerChange) -> None:
        for milestone, at in change.earliest.items():
            known = self.earliest.get(milestone)
            self.earliest[milestone] = at if known is None else min(known, at)
        if change.booked:
            self.bookings.append(change.booked)
        if change.no_show:
            self.no_shows.append(change.no_show)
        if change.activity and (self.last_activity is None or change.activity > self.last_activity):
            self.last_activity = change.activity
        if change.state is not None:
            self.state = change.state
        if change.next_action is not None:
            self.next_action = self.next_action.after(change.next_action)
        self.deleted = self.deleted or change.deleted


@dataclass
class ReminderRow:
    change: ReminderChange
    opened_at: datetime
    closed_at: datetime | None = None


@dataclass
class Ledger:
    """One account's store in memory; events are applied in arrival order. `targets` (and the
    grace `inputs` is given) are the accounts file's, which hold until a settings change is
    seen."""

    zone: ZoneInfo
    targets: DmoTargets
    settings: list[SettingsChange] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    events: list[tuple[EventEnvelope, Tally | None]] = field(default_factory=list)
    customers: dict[UUID, CustomerRow] = field(default_factory=dict)
    reminders: dict[UUID, ReminderRow] = field(default_factory=dict)

    def apply_all(self, events: Iterable[EventEnvelope]) -> None:
        for event in events:
            self.apply(event)

    def apply(self, event: EventEnvelope) -> None:
        if event.event_id in self.seen:
            return  # the consumer's de-dup by (account, event_id)
        self.seen.add(event.event_id)
        if event.customer_id is not None and self._deleted(event.customer_id):
            return  # the consumer drops events of deleted customers
        self.events.append((event, tally_of(event)))
        if event.event_name is EventName.ACCOUNT_SETTINGS_CHANGED:
            changed = AutomationSettings.model_validate(event.properties["settings"])
            self.settings.append(SettingsChange(event.timestamp, changed))
        if (change := customer_change(event)) is not None:
            self.customers.setdefault(change.customer_id, CustomerRow()).merge(change)
        if (reminder := reminder_change(event)) is not None:
            self._apply_reminder(reminder)

    def _deleted(self, customer_id: UUID) -> bool:
        row = self.customers.get(customer_id)
        return row is not None and row.deleted

    def _apply_reminder(self, change: ReminderChange) -> None:
        row = self.reminders.get(change.reminder_id)
        if row is None:
            self.reminders[change.reminder_id] = row = ReminderRow(change, opened_at=change.at)
        if row.closed_at is not None:
            return  # closing is final
        if change.status is ReminderStatus.OPEN:
            row.change = replace(change)
            row.opened_at = min(row.opened_at, change.at)
        else:
            row.change, row.closed_at = change, change.at

    def live(self) -> dict[UUID, CustomerRow]:
        return {cid: row for cid, row in self.customers.items() if not row.deleted}

    def day_tallies(self, as_of: datetime) -> dict[date, DayTally]:
        days: dict[date, DayTally] = {}
        for event, tally in self.events:
            if event.timestamp > as_of or tally not in (Tally.INVITES, Tally.FOLLOW_UPS):
                continue
            day = local_date(event.timestamp, self.zone)
            step = DayTally(1, 0) if tally is Tally.INVITES else DayTally(0, 1)
            days[day] = days.get(day, DayTally()) + step
        return days

    def history(self, grace_s: float = 3600) -> SettingsHistory:
        targets = {"invites": self.targets.invites, "follow_ups": self.targets.follow_ups}
        from_file = AutomationSettings(
            time_zone=self.zone.key,
            dmo_targets=targets,
            overdue_grace=timedelta(seconds=grace_s),
        )
        return SettingsHistory(self.settings, from_file)

    def account_days(self, as_of: datetime, grace_s: float = 3600) -> AccountDays:
        logged = [event.timestamp for event, _ in self.events if event.timestamp <= as_of]
        first_day = local_date(min(logged), self.zone) if logged else None
        targets = TargetsInForce(self.history(grace_s), self.zone, as_of)
        return AccountDays(targets, first_day, self.day_tallies(as_of))

    def inputs(self, period: Period, as_of: datetime, grace_s: float) -> StatsInputs:
        live = self.live()
        grace_s = self.history(grace_s).in_force(as_of).overdue_grace.total_seconds()

        def window(moment: datetime | None) -> bool:
            return in_window(moment, period, as_of)

        tallies: dict[Tally, int] = {}
        dm_at: dict[UUID, datetime] = {}
        sent: dict[UUID, list[datetime]] = {}
        for event, tally in self.events:
            if tally is not None and window(event.timestamp):
                tallies[tally] = tallies.get(tally, 0) + 1
            cid = event.customer_id
            if cid is None or cid not in live:
                continue
            if event.event_name is EventName.DM_STARTED and window(event.timestamp):
                dm_at[cid] = min(dm_at.get(cid, event.timestamp), event.timestamp)
            if event.event_name is EventName.MESSAGE_SENT:
                sent.setdefault(cid, []).append(event.timestamp)
        replies = [
            FirstReply(dm, min((t for t in sent.get(cid, []) if t >= dm), default=None))
            for cid, dm in dm_at.items()
        ]
        states: dict[tuple[Status, BookingState, bool, bool], int] = {}
        for row in live.values():
            if row.state is not None:
                s = row.state
                key = (s.status, s.booking.state, s.joined_team, s.opted_out)
                states[key] = states.get(key, 0) + 1
        open_rows = [
            row
            for row in live.values()
            if row.state and row.state.status in OPEN_STATUSES and not row.state.opted_out
        ]
        open_reminders = [
            r.change.scheduled_for
            for r in self.reminders.values()
            if r.opened_at <= as_of
            and (r.closed_at is None or r.closed_at > as_of)
            and r.change.customer_id in live
        ]
        return StatsInputs(
            period=period,
            as_of=as_of,
            tallies=tallies,
            new_leads=sum(1 for r in live.values() if window(r.earliest.get(Milestone.CREATED))),
            dms_started=len(dm_at),
            signed_up=sum(
                1 for r in live.values() if window(r.earliest.get(Milestone.FIRST_SIGNING))
            ),
            reminders_due=sum(1 for s in open_reminders if s <= as_of),
            reminders_overdue=sum(
                1 for s in open_reminders if (as_of - s).total_seconds() > grace_s
            ),
            next_actions_overdue=sum(
                1
                for row in live.values()
                if row.state
                and row.state.status in OPEN_STATUSES
                and row.next_action.shown.due is not None
                and row.next_action.shown.due < as_of
            ),
            states=[StateCount(*key, n) for key, n in states.items()],
            cohort=[
                _funnel_customer(cid, row)
                for cid, row in live.items()
                if window(row.earliest.get(Milestone.COHORT))
            ],
            replies=replies,
            healthy=sum(
                1
                for row in open_rows
                if row.last_activity is not None and as_of - HEALTHY_WITHIN <= row.last_activity
            ),
            open_customers=len(open_rows),
            dmo=self.account_days(as_of, grace_s),
        )


def _funnel_customer(cid: UUID, row: CustomerRow) -> FunnelCustomer:
    e = row.earliest
    return FunnelCustomer(
        customer_id=cid,
        qualified_at=e.get(Milestone.QUALIFIED),
        presented_at=e.get(Milestone.PRESENTED),
        signed_up_at=e.get(Milestone.SIGNED_UP),
        booked_at=e.get(Milestone.BOOKED),
        held_at=e.get(Milestone.HELD),
        no_show_at=e.get(Milestone.NO_SHOW),
        bookings=tuple(row.bookings),
        no_shows=tuple(row.no_shows),
    )


def judged_days(
    tallies: dict[date, DayTally],
    targets: DmoTargets,
    as_of: datetime,
    zone: ZoneInfo,
    first_day: date | None,
) -> AccountDays:
    """Tallies of local days judged by targets that never changed (the accounts file's)."""
    ledger = Ledger(zone, targets)
    return AccountDays(TargetsInForce(ledger.history(), zone, as_of), first_day, tallies)
