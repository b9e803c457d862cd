"""`assess` and `overdue_reminder` give exactly what the straightforward versions give.

The service evaluates the table only where its answer can change and looks only at the
oldest open reminder; the references here evaluate it at every threshold and scan every
reminder, as the table reads in docs/domain.md. Projections, grace, time zone and instants
are generated, with instants on and one microsecond either side of every threshold; so are
histories of the account's overdue_grace, where the grace in force at each instant decides.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_nba.policy.projection import Fold, OpenReminder, Projection, projection_of, signed_up_at
from crm_nba.policy.table import (
    JUST_AFTER,
    ONBOARDING,
    SILENCE,
    VIDEO_FEEDBACK_AFTER,
    Context,
    Situation,
    is_overdue,
    overdue_reminder,
    recommend,
    silence_start,
)
from crm_nba.policy.transitions import Assessment, assess, same_answer
from crm_nba.policy.wording import REMINDER_NAMES
from crm_schemas.account_settings import AutomationSettings, SettingsChange, SettingsHistory
from crm_schemas.pipeline import Booking, BookingState, PipelineState, Status
from crm_schemas.system_properties import ReminderType
from crm_servicekit.accounts import Account

from .history import D, H, M, T, unchanged

MICRO = timedelta(microseconds=1)
ZONES = ("Europe/Oslo", "UTC", "America/New_York")


def soonest_first(found: list[OpenReminder]) -> tuple[OpenReminder, ...]:
    """By scheduled time, then by the id as written."""
    return tuple(sorted(found, key=lambda r: (r.scheduled_for, str(r.reminder_id))))


# Coarse instants, so that reminders and facts often fall on the same one.
instants = st.integers(min_value=-40 * 4, max_value=40 * 4).map(lambda n: T + n * 6 * H)
maybe_instant = st.none() | instants
reminders = st.builds(
    OpenReminder,
    reminder_id=st.uuids(),
    type=st.sampled_from(ReminderType),
    scheduled_for=instants,
)
projections = st.builds(
    Projection,
    customer_id=st.uuids(),
    state=st.builds(
        PipelineState,
        status=st.sampled_from(Status),
        booking=st.builds(Booking, state=st.sampled_from(BookingState), time=maybe_instant),
        joined_team=st.booleans(),
        opted_out=st.booleans(),
    ),
    created_at=maybe_instant,
    stage_entered_at=maybe_instant,
    last_activity_at=maybe_instant,
    last_video_at=maybe_instant,
    last_follow_up_done_at=maybe_instant,
    deleted=st.booleans(),
    no_show_at=maybe_instant,
    open_reminders=st.lists(reminders, max_size=20).map(soonest_first),
)
accounts = st.builds(
    Account,
    account_id=st.just("acme"),
    time_zone=st.sampled_from(ZONES),
    overdue_grace=st.sampled_from([timedelta(0), H, timedelta(minutes=90), D]),
)


def every_threshold(p: Projection, grace: timedelta) -> list[datetime]:
    found = [r.scheduled_for + grace + JUST_AFTER for r in p.open_reminders]
    if p.last_video_at is not None:
        found.append(p.last_video_at + VIDEO_FEEDBACK_AFTER)
    if (quiet_since := silence_start(p)) is not None:
        found.append(quiet_since + SILENCE)
    if (signed := signed_up_at(p)) is not None:
        found.append(signed + ONBOARDING + JUST_AFTER)
    return sorted(set(found))


def reference_assess(p: Projection, as_of: datetime, account: Account) -> Assessment:
    """The table at as_of, then at every threshold after it until the answer differs."""
    settings = unchanged(account)
    current = recommend(p, as_of, settings)
    times = every_threshold(p, account.overdue_grace)
    next_change = next(
        (t for t in times if t > as_of and not same_answer(recommend(p, t, settings), current)),
        None,
    )
    valid_from = max((t for t in times if t <= as_of), default=None)
    return Assessment(current, next_change, valid_from)


def scanning_overdue_reminder(p: Projection, c: Context) -> Situation | None:
    """Every overdue reminder, then the oldest of them, as the row reads."""
    overdue = [r for r in p.open_reminders if is_overdue(r, c.as_of, c.overdue_grace)]
    if not overdue:
        return None
    oldest = min(overdue, key=lambda r: r.scheduled_for)
    return Situation(
        oldest.scheduled_for,
        f"The {REMINDER_NAMES[oldest.type]} was due {c.at(oldest.scheduled_for)} and is overdue",
        {"reminder_id": str(oldest.reminder_id), "reminder_type": oldest.type.value},
    )


def moments(p: Projection, grace: timedelta) -> st.SearchStrategy[datetime]:
    """Any instant, or one on or a microsecond either side of a threshold."""
    near = [t + step for t in every_threshold(p, grace) for step in (-MICRO, 0 * MICRO, MICRO)]
    return instants | st.sampled_from(near) if near else instants


@settings(max_examples=400, deadline=None)
@given(p=projections, account=accounts, data=st.data())
def test_assess_gives_what_evaluating_every_threshold_gives(
    p: Projection, account: Account, data: st.DataObject
) -> None:
    as_of = data.draw(moments(p, account.overdue_grace))
    assert assess(p, as_of, unchanged(account)) == reference_assess(p, as_of, account)


@settings(max_examples=400, deadline=None)
@given(p=projections, account=accounts, data=st.data())
def test_overdue_reminder_gives_what_scanning_every_reminder_gives(
    p: Projection, account: Account, data: st.DataObject
) -> None:
    as_of = data.draw(moments(p, account.overdue_grace))
    c = Context(as_of=as_of, zone=account.zone, overdue_grace=account.overdue_grace)
    assert overdue_reminder(p, c) == scanning_overdue_reminder(p, c)


GRACES = [timedelta(0), H, timedelta(minutes=90), D]
# Reminders and changes of the grace close together, so that a change often falls between a
# reminder's becoming overdue under one grace and under another.
near_instants = st.integers(min_value=-16, max_value=16).map(lambda n: T + n * 30 * M)
near_reminders = st.builds(
    OpenReminder,
    reminder_id=st.uuids(),
    type=st.sampled_from(ReminderType),
    scheduled_for=near_instants,
)
projections_near = st.tuples(
    projections, st.lists(near_reminders, max_size=5).map(soonest_first)
).map(lambda found: found[0].model_copy(update={"open_reminders": found[1]}))


@st.composite
def grace_histories(draw: st.DrawFn) -> SettingsHistory:
    """A seed and up to three changes of the grace (some keeping it), at generated instants."""
    zone = draw(st.sampled_from(ZONES))
    changes = [
        SettingsChange(at, AutomationSettings(time_zone=zone, overdue_grace=grace))
        for at, grace in draw(
            st.lists(st.tuples(near_instants, st.sampled_from(GRACES)), max_size=4)
        )
    ]
    return SettingsHistory(changes, AutomationSettings(time_zone=zone))


def every_threshold_of(p: Projection, history: SettingsHistory) -> list[datetime]:
    """Each reminder becoming overdue under every grace the account ever had, each change."""
    graces = {history.fallback.overdue_grace} | {c.settings.overdue_grace for c in history.changes}
    found = {t for grace in graces for t in every_threshold(p, grace)}
    return sorted(found | {change.effective_from for change in history.changes})


@settings(max_examples=400, deadline=None)
@given(p=projections_near, history=grace_histories(), data=st.data())
def test_assess_under_a_changing_grace_gives_what_every_threshold_gives(
    p: Projection, history: SettingsHistory, data: st.DataObject
) -> None:
    times = every_threshold_of(p, history)
    near = [t + step for t in times for step in (-MICRO, 0 * MICRO, MICRO)]
    as_of = data.draw(near_instants | st.sampled_from(near) if near else near_instants)
    found = assess(p, as_of, history)
    current = recommend(p, as_of, history)
    assert found.recommendation == current
    assert found.next_change_at == next(
        (t for t in times if t > as_of and not same_answer(recommend(p, t, history), current)),
        None,
    )
    # valid_from may be later than the last change (never later than as_of), but no answer
    # differs between it and as_of.
    since = found.valid_from
    assert since is None or since <= as_of
    assert all(
        same_answer(recommend(p, t, history), current)
        for t in [*times, *([since] if since else [])]
        if (since is None or t >= since) and t <= as_of
    )


@given(found=st.lists(reminders, max_size=20), customer=st.uuids())
def test_a_projection_lists_its_open_reminders_soonest_first(
    found: list[OpenReminder], customer: UUID
) -> None:
    folded = Fold(customer_id=customer, open_reminders=tuple(found))
    assert projection_of(folded).open_reminders == soonest_first(found)
