"""Coaching prompts (docs/domain.md): which of the five kinds hold at an instant, in the day.

Pure: the DMO counts per local day and the number of customers waiting for a rebook come
in, the prompts that hold come out; `dmo_kind` says which events count towards the DMO.
Emitting each kind at most once a day is the service's job (it remembers what it emitted).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from crm_nba.policy.wording import plural
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import (
    CoachingKind,
    CoachingPrompt,
    CompletedBy,
    ReminderEvent,
    ReminderType,
)
from crm_servicekit.accounts import Account

LEFT_FROM = time(12, 0)
STREAK_AT_RISK_FROM = time(18, 0)
STREAK_WORTH_KEEPING = 2
FOLLOW_UP_TYPES = frozenset(t for t in ReminderType if t.value.startswith("follow_up_"))


@dataclass(frozen=True)
class DmoDay:
    invites: int = 0
    follow_ups: int = 0


@dataclass(frozen=True)
class DmoTargets:
    invites: int
    follow_ups: int

    def met(self, day: DmoDay) -> bool:
        return day.invites >= self.invites and day.follow_ups >= self.follow_ups


def dmo_kind(event: EventEnvelope) -> str | None:
    """'invite' or 'follow_up' when the event counts towards the DMO (docs/domain.md, 'Figures')."""
    if event.event_name is EventName.INVITE_SENT:
        return "invite"
    if event.event_name is EventName.FOLLOW_UP_DONE:
        return "follow_up"
    if event.event_name is EventName.REMINDER_COMPLETED:
        reminder = ReminderEvent.model_validate(event.properties)
        if reminder.type in FOLLOW_UP_TYPES and reminder.completed_by is CompletedBy.PERSON:
            return "follow_up"
    return None


def local_day(moment: datetime, account: Account) -> date:
    return moment.astimezone(account.zone).date()


def streak(days: Mapping[date, DmoDay], today: date, targets: DmoTargets) -> int:
    """Consecutive met days ending today, or yesterday when today is not met yet."""
    if not days:
        return 0
    first_known = min(days)
    day = today if targets.met(days.get(today, DmoDay())) else today - timedelta(days=1)
    count = 0
    # Days before the first counted event say nothing, even when a target of 0 is "met".
    while day >= first_known and targets.met(days.get(day, DmoDay())):
        count += 1
        day -= timedelta(days=1)
    return count


def streak_may_matter(
    as_of: datetime, account: Account, days: Mapping[date, DmoDay], emitted: Collection[str]
) -> bool:
    """Whether a streak_at_risk prompt could still be emitted today at `as_of`, which is what
    needs the streak, and so the DMO days before today. `days` must hold today's counts."""
    local = as_of.astimezone(account.zone)
    targets = DmoTargets(account.dmo_targets.invites, account.dmo_targets.follow_ups)
    return (
        CoachingKind.STREAK_AT_RISK.value not in emitted
        and local.time() >= STREAK_AT_RISK_FROM
        and not targets.met(days.get(local.date(), DmoDay()))
    )


def prompts_holding(
    as_of: datetime, account: Account, days: Mapping[date, DmoDay], rebooks_waiting: int
) -> list[CoachingPrompt]:
    """The prompts whose conditions hold at `as_of` (counts are those of its local day)."""
    local = as_of.astimezone(account.zone)
    today = local.date()
    done = days.get(today, DmoDay())
    targets = DmoTargets(account.dmo_targets.invites, account.dmo_targets.follow_ups)
    invites_left = max(0, targets.invites - done.invites)
    follow_ups_left = max(0, targets.follow_ups - done.follow_ups)
    found: list[tuple[CoachingKind, str]] = []
    if local.time() >= LEFT_FROM and invites_left:
        found.append((CoachingKind.INVITES_LEFT, f"{plural(invites_left, 'invite')} left today"))
    if local.time() >= LEFT_FROM and follow_ups_left:
        found.append(
            (CoachingKind.FOLLOW_UPS_LEFT, f"{plural(follow_ups_left, 'follow-up')} left today")
        )
    run = streak(days, today, targets)
    if (
        local.time() >= STREAK_AT_RISK_FROM
        and not targets.met(done)
        and run >= STREAK_WORTH_KEEPING
    ):
        found.append(
            (
                CoachingKind.STREAK_AT_RISK,
                f"Your {run}-day streak is at risk: {_still_to_do(invites_left, follow_ups_left)}",
            )
        )
    if rebooks_waiting:
        found.append(
            (
                CoachingKind.REBOOKS_WAITING,
                f"{plural(rebooks_waiting, 'no-show')} waiting to be rebooked",
            )
        )
    if targets.met(done):
        found.append(
            (
                CoachingKind.TARGETS_MET,
                f"Targets met today: {plural(done.invites, 'invite')} and "
                f"{plural(done.follow_ups, 'follow-up')}",
            )
        )
    return [CoachingPrompt(text=t, kind=k, local_date=today.isoformat()) for k, t in found]


def _still_to_do(invites_left: int, follow_ups_left: int) -> str:
    parts = [
        plural(n, word)
        for n, word in ((invites_left, "invite"), (follow_ups_left, "follow-up"))
        if n
    ]
    return " and ".join(parts) + " to go today"
