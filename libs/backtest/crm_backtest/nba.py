"""The expected next best action of one customer at `as_of`: docs/domain.md's NBA table, first
matching row, from all the facts and the expected reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_backtest.accounts import AccountProfile
from crm_backtest.clock import DAY, HOUR
from crm_backtest.history import Fact
from crm_backtest.pipeline import OPEN_STAGES, Step, entered_at, fold, is_activity
from crm_backtest.reminders import Reminder, expected_reminders, is_overdue
from crm_backtest.settings_in_force import settings_at

ONBOARDING = 30 * DAY


@dataclass(frozen=True)
class Recommendation:
    action: str
    priority: int
    due_at: datetime | None

    def urgency(self) -> str:
        if self.priority >= 90:
            return "critical"
        if self.priority >= 75:
            return "high"
        return "medium" if self.priority >= 60 else "low"


NONE = Recommendation("none", 0, None)


def last_activity(steps: list[Step]) -> datetime | None:
    times = [s.fact.at for s in steps if is_activity(s.before, s.after, s.fact)]
    return max(times) if times else None


def signed_up_at(steps: list[Step]) -> datetime | None:
    return next((s.fact.at for s in steps if s.fact.name in ("PURCHASED", "JOINED_TEAM")), None)


def _last(steps: list[Step], name: str) -> datetime | None:
    times = [s.fact.at for s in steps if s.fact.name == name]
    return max(times) if times else None


def recommend(
    steps: list[Step], reminders: list[Reminder], as_of: datetime, grace: timedelta
) -> Recommendation:
    if not steps:
        return NONE
    state = steps[-1].after
    signed = entered_at(steps, "signed_up") if state.status == "signed_up" else None
    if state.opted_out or state.status == "not_now":
        return NONE
    if signed is not None and as_of - signed > ONBOARDING:
        return NONE
    overdue = sorted(r.scheduled_for for r in reminders if is_overdue(r, as_of, grace))
    if overdue:
        return Recommendation("follow_up_now", 95, overdue[0])
    if state.status == "signed_up":
        return Recommendation("onboard", 40, signed)
    return _open_stage_row(steps, as_of)


def _open_stage_row(steps: list[Step], as_of: datetime) -> Recommendation:
    state = steps[-1].after
    assert state.status in OPEN_STAGES
    no_show = _last(steps, "NO_SHOW")
    if state.booking == "no_show" and no_show is not None:
        return Recommendation("rebook", 90, no_show)
    video = _last(steps, "VIDEO_SENT")
    if video is not None and as_of - video >= 24 * HOUR:
        follow_up = _last(steps, "FOLLOW_UP_DONE")
        if follow_up is None or follow_up < video:
            return Recommendation("ask_video_feedback", 85, video + 24 * HOUR)
    if state.status == "qualified":
        return Recommendation("send_presentation", 80, entered_at(steps, "qualified"))
    if state.status in ("presentation_sent", "follow_up"):
        entry = entered_at(steps, state.status)
        return Recommendation("request_feedback", 75, entry + 48 * HOUR if entry else None)
    active = last_activity(steps)
    if active is not None and as_of - active >= 7 * DAY:
        return Recommendation("reconnect", 65, active + 7 * DAY)
    if state.status == "invited":
        return Recommendation("ask_why", 60, entered_at(steps, "invited"))
    if state.status == "relationship":
        return Recommendation("invite", 50, active)
    return Recommendation("start_conversation", 50, steps[0].fact.at)


def expected_nba(facts: list[Fact], profile: AccountProfile, as_of: datetime) -> Recommendation:
    grace = settings_at(profile, as_of).overdue_grace
    return recommend(fold(facts), expected_reminders(facts, profile), as_of, grace)
