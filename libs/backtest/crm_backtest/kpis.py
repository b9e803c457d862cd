"""The expected figures of GET /api/customers/stats for one account, a custom period
`[start, end)` and `as_of`, from the facts alone (docs/domain.md, Figures)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from crm_backtest.accounts import AccountProfile
from crm_backtest.clock import DAY, local_date, start_of_local_day
from crm_backtest.funnel import funnel, ratio, speed_to_lead
from crm_backtest.history import Fact
from crm_backtest.nba import last_activity, recommend
from crm_backtest.pipeline import OPEN_STAGES, STAGES, Step, fold
from crm_backtest.reminders import Reminder, expected_reminders, is_due, is_overdue
from crm_backtest.settings_in_force import settings_at

COUNTED_EVENTS = {
    "invites_sent": "INVITE_SENT",
    "videos_sent": "VIDEO_SENT",
    "meetings_booked": "MEETING_BOOKED",
    "meetings_held": "MEETING_HELD",
    "no_shows": "NO_SHOW",
    "follow_ups_done": "FOLLOW_UP_DONE",
}
MILESTONES = ("PURCHASED", "JOINED_TEAM")


def _in(at: datetime, start: datetime, end: datetime, as_of: datetime) -> bool:
    return start <= at < end and at <= as_of


def _dmo_day(done: tuple[int, int], targets: tuple[int, int]) -> dict[str, Any]:
    invites, follow_ups = done
    invites_target, follow_ups_target = targets
    return {
        "invites": invites,
        "invites_target": invites_target,
        "invites_pct": ratio(invites, invites_target),
        "follow_ups": follow_ups,
        "follow_ups_target": follow_ups_target,
        "follow_ups_pct": ratio(follow_ups, follow_ups_target),
        "met": invites >= invites_target and follow_ups >= follow_ups_target,
    }


def day_targets(profile: AccountProfile, day: date, as_of: datetime) -> tuple[int, int]:
    """A local day's targets: those in force at the earlier of its end and `as_of`."""
    end = start_of_local_day(day + DAY, profile.time_zone)
    settings = settings_at(profile, min(end, as_of))
    return settings.invites_target, settings.follow_ups_target


def dmo(facts: list[Fact], profile: AccountProfile, as_of: datetime) -> dict[str, Any]:
    """Invites and follow-ups per local day against the targets in force, and the streak."""
    zone = profile.time_zone
    per_day: dict[date, list[int]] = {}
    for fact in facts:
        if fact.at > as_of or fact.name not in ("INVITE_SENT", "FOLLOW_UP_DONE"):
            continue
        counts = per_day.setdefault(local_date(fact.at, zone), [0, 0])
        counts[0 if fact.name == "INVITE_SENT" else 1] += 1
    today = local_date(as_of, zone)
    monday = today - timedelta(days=today.weekday())
    week_days = [monday + timedelta(days=i) for i in range(7)]
    week = [per_day.get(day, [0, 0]) for day in week_days]
    # A week's targets are its days' targets added up (7 × daily while they do not change).
    week_targets = [day_targets(profile, day, as_of) for day in week_days]

    def met(day: date) -> bool:
        invites, follow_ups = per_day.get(day, [0, 0])
        invites_target, follow_ups_target = day_targets(profile, day, as_of)
        return invites >= invites_target and follow_ups >= follow_ups_target

    # A streak never reaches back before the local day of the account's earliest event (with
    # targets of 0 every day is met).
    first_day = min((local_date(f.at, zone) for f in facts if f.at <= as_of), default=today)
    day = today if met(today) else today - DAY
    streak = 0
    while day >= first_day and met(day):
        streak += 1
        day -= DAY
    today_counts = per_day.get(today, [0, 0])
    return {
        "today": _dmo_day((today_counts[0], today_counts[1]), day_targets(profile, today, as_of)),
        "week": _dmo_day(
            (sum(c[0] for c in week), sum(c[1] for c in week)),
            (sum(t[0] for t in week_targets), sum(t[1] for t in week_targets)),
        ),
        "streak_days": streak,
    }


def _counts(
    customers: list[list[Step]],
    profile: AccountProfile,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> dict[str, Any]:
    counts: dict[str, Any] = dict.fromkeys(
        (
            "new_leads",
            "dms_started",
            "signed_up",
            "reminders_due",
            "reminders_overdue",
            "next_actions_overdue",
        ),
        0,
    )
    counts.update(dict.fromkeys(COUNTED_EVENTS, 0))
    for steps in customers:
        facts = [s.fact for s in steps]
        counts["new_leads"] += _in(steps[0].fact.at, start, end, as_of)
        counts["dms_started"] += any(
            f.name == "DM_STARTED" and _in(f.at, start, end, as_of) for f in facts
        )
        milestones = [f.at for f in facts if f.name in MILESTONES]
        counts["signed_up"] += bool(milestones) and _in(min(milestones), start, end, as_of)
        for figure, name in COUNTED_EVENTS.items():
            counts[figure] += sum(f.name == name and _in(f.at, start, end, as_of) for f in facts)
        reminders = expected_reminders(facts, profile)
        counts["reminders_due"] += sum(is_due(r, as_of) for r in reminders)
        grace = settings_at(profile, as_of).overdue_grace
        counts["reminders_overdue"] += sum(is_overdue(r, as_of, grace) for r in reminders)
        counts["next_actions_overdue"] += next_action_overdue(steps, reminders, as_of, as_of, grace)
    return counts


def next_action_overdue(
    steps: list[Step],
    reminders: list[Reminder],
    as_of: datetime,
    nba_at: datetime,
    grace: timedelta,
) -> bool:
    """Whether next_actions_overdue counts the customer at `as_of`, their next action being
    the NBA as it stands at `nba_at`: the customers service mirrors the NBA, whose timers
    move it on the wall clock, so a system read after `as_of` may show a later one."""
    action = recommend(steps, reminders, nba_at, grace)
    in_open_stage = steps[-1].after.status in OPEN_STAGES
    late = action.due_at is not None and action.due_at < as_of and action.action != "none"
    return in_open_stage and late


def expected_stats(
    facts_by_customer: list[list[Fact]],
    profile: AccountProfile,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> dict[str, Any]:
    customers = [fold(facts) for facts in facts_by_customer if facts]
    by_status = dict.fromkeys((*STAGES, "not_now"), 0)
    for steps in customers:
        by_status[steps[-1].after.status] += 1
    healthy_pool = [
        s for s in customers if s[-1].after.status in OPEN_STAGES and not s[-1].after.opted_out
    ]
    recent = [s for s in healthy_pool if (last_activity(s) or start) >= as_of - 7 * DAY]
    all_facts = [s.fact for steps in customers for s in steps]
    return {
        "counts": _counts(customers, profile, start, end, as_of),
        "by_status": by_status,
        "opted_out": sum(s[-1].after.opted_out for s in customers),
        "dmo": dmo(all_facts, profile, as_of),
        "funnel": funnel(customers, start, end, as_of),
        "speed_to_lead": speed_to_lead(customers, start, end, as_of),
        "pipeline_health": ratio(len(recent), len(healthy_pool)),
    }


def local_day_bounds(day: date, profile: AccountProfile) -> tuple[datetime, datetime]:
    zone = profile.time_zone
    return start_of_local_day(day, zone), start_of_local_day(day + DAY, zone)
