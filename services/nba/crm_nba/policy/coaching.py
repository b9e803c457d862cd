"""Coaching prompts (docs/domain.md): which of the five kinds hold at an instant, in the day.

Pure: the DMO counts per local day and the number of customers waiting for a rebook come
in, the prompts that hold come out; `dmo_kind` says which events count towards the DMO.
Emitting each kind at most once a day is the service's job (it remembers what it emitted).
Today's prompts use the targets in force at the prompt's instant; each earlier day of a
streak is judged by the targets in force at that day's end (docs/domain.md, DMO).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_nba.policy.wording import plural
from crm_schemas.account_settings import AutomationSettings, SettingsHistory
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import (
    CoachingKind,
    CoachingPrompt,
    CompletedBy,
    ReminderEvent,
    ReminderType,
)

LEFT_FROM = time(12, 0)
STREAK_AT_RISK_FROM = time(18, 0)
STREAK_WORTH_KEEPING = 2
# A local day's last instant: its next midnight less the finest time PostgreSQL and Python
# share.
JUST_BEFORE_MIDNIGHT = timedelta(microseconds=1)
FOLLOW_UP_TYPES = frozenset(t for t in ReminderType if t.value.startswith("follow_up_"))


@dataclass(frozen=True)
class DmoDay:
    invites: int = 0
    follow_ups: int = 0


@dataclass(frozen=True)
class DmoTargets:
    invites: int
    follow_ups: int

    @classmethod
    def of(cls, settings: AutomationSettings) -> DmoTargets:
        return cls(settings.dmo_targets.invites, settings.dmo_targets.follow_ups)

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


def earliest_events(events: Iterable[EventEnvelope]) -> dict[str, datetime]:
    """The timestamp of each account's earliest event about a customer among `events`."""
    earliest: dict[str, datetime] = {}
    for event in events:
        if event.customer_id is not None:
            known = earliest.get(event.account_id)
            earliest[event.account_id] = (
                event.timestamp if known is None else min(known, event.timestamp)
            )
    return earliest


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def day_targets(settings: SettingsHistory, as_of: datetime) -> Callable[[date], DmoTargets]:
    """The targets each local day is judged by: those in force at the earlier of its last
    instant and `as_of`."""
    zone = settings.in_force(as_of).zone

    def targets_on(day: date) -> DmoTargets:
        next_midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        last_instant = next_midnight - JUST_BEFORE_MIDNIGHT
        return DmoTargets.of(settings.in_force(min(last_instant, as_of)))

    return targets_on


def streak(
    days: Mapping[date, DmoDay],
    today: date,
    targets_on: Callable[[date], DmoTargets],
    since: date | None = None,
) -> int:
    """Consecutive met days ending today, or yesterday when today is not met yet, reaching
    back no further than `since` (the local day of the account's earliest event) or, when
    that is not known, the first counted day."""
    known = [*days, *([since] if since is not None else [])]
    if not known:
        return 0
    first_known = min(known)

    def met(day: date) -> bool:
        return targets_on(day).met(days.get(day, DmoDay()))

    day = today if met(today) else today - timedelta(days=1)
    count = 0
    # Days before the account's first event say nothing, even when a target of 0 is "met".
    while day >= first_known and met(day):
        count += 1
        day -= timedelta(days=1)
    return count


def streak_may_matter(
    as_of: datetime,
    settings: SettingsHistory,
    days: Mapping[date, DmoDay],
    emitted: Collection[str],
) -> bool:
    """Whether a streak_at_risk prompt could still be emitted today at `as_of`, which is what
    needs the streak, and so the DMO days before today. `days` must hold today's counts."""
    in_force = settings.in_force(as_of)
    local = as_of.astimezone(in_force.zone)
    return (
        CoachingKind.STREAK_AT_RISK.value not in emitted
        and local.time() >= STREAK_AT_RISK_FROM
        and not DmoTargets.of(in_force).met(days.get(local.date(), DmoDay()))
    )


def prompts_holding(
    as_of: datetime,
    settings: SettingsHistory,
    days: Mapping[date, DmoDay],
    rebooks_waiting: int,
    since: date | None = None,
) -> list[CoachingPrompt]:
    """The prompts whose conditions hold at `as_of` (counts are those of its local day),
    against the targets in force then; a streak reaches back no further than `since`."""
    in_force = settings.in_force(as_of)
    local = as_of.astimezone(in_force.zone)
    today = local.date()
    done = days.get(today, DmoDay())
    targets = DmoTargets.of(in_force)
    invites_left = max(0, targets.invites - done.invites)
    follow_ups_left = max(0, targets.follow_ups - done.follow_ups)
    found: list[tuple[CoachingKind, str]] = []
    if local.time() >= LEFT_FROM and invites_left:
        found.append((CoachingKind.INVITES_LEFT, f"{plural(invites_left, 'invite')} left today"))
    if local.time() >= LEFT_FROM and follow_ups_left:
        found.append(
            (CoachingKind.FOLLOW_UPS_LEFT, f"{plural(follow_ups_left, 'follow-up')} left today")
        )
    run = streak(days, today, day_targets(settings, as_of), since)
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
