"""The reminder rules under an account's automation settings (docs/domain.md, Accounts): each
trigger follows the settings in force at its timestamp; pure, no servers."""

from __future__ import annotations

import uuid

from crm_rules.policy.automation import EARLIEST, judged_again_from
from crm_rules.policy.reminder import ReminderStatus
from crm_rules.policy.rules import NO_SHOW_1D, NO_SHOW_2H, TYPE_DISABLED
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.system_properties import ReminderType
from crm_servicekit.accounts import Account

from .history import ACCOUNT, T0, D, H, M, event, history_of, open_times, replay

CHANGE = T0 + 10 * H


def test_a_shorter_follow_up_2h_applies_to_no_shows_from_the_change_on() -> None:
    c = uuid.uuid4()
    settings = history_of((CHANGE, {"reminders": {"follow_up_2h": {"delay": "PT1H"}}}))
    result = replay(
        [event("NO_SHOW", T0, c), event("NO_SHOW", CHANGE, c), event("NO_SHOW", T0 + 20 * H, c)],
        settings=settings,
    )
    # The earlier trigger keeps the table's 2h; one at the change's instant and after get 1h.
    assert open_times(result)["follow_up_2h"] == [T0 + 2 * H, CHANGE + H, T0 + 21 * H]
    # The other type of the same triggers is untouched.
    assert open_times(result)["follow_up_1d"] == [T0 + D, CHANGE + D, T0 + 20 * H + D]


def test_a_disabled_type_is_not_made_and_the_others_are() -> None:
    c = uuid.uuid4()
    settings = history_of((CHANGE, {"reminders": {"follow_up_24h": {"enabled": False}}}))
    before = event("VIDEO_SENT", T0, c)
    after = event("VIDEO_SENT", T0 + 30 * H, c)
    result = replay([before, after], settings=settings)
    made = {(r.type, r.trigger_event_id) for r in result.values()}
    assert (ReminderType.FOLLOW_UP_24H, before.event_id) in made
    assert (ReminderType.FOLLOW_UP_24H, after.event_id) not in made
    assert (ReminderType.FOLLOW_UP_48H, after.event_id) in made
    assert open_times(result)["follow_up_48h"] == [T0 + 78 * H]


def test_a_disabled_follow_up_48h_is_not_made_by_a_presentation_either() -> None:
    c = uuid.uuid4()
    settings = history_of((T0 - D, {"reminders": {"follow_up_48h": {"enabled": False}}}))
    result = replay(
        [event("DM_STARTED", T0, c), event("MEETING_HELD", T0 + H, c)], settings=settings
    )
    assert "follow_up_48h" not in open_times(result)
    assert not any(r.type is ReminderType.FOLLOW_UP_48H for r in result.values())


def test_a_changed_message_shows_on_new_reminders_and_none_gives_the_default() -> None:
    c = uuid.uuid4()
    settings = history_of(
        (CHANGE, {"reminders": {"follow_up_1d": {"message": "Call them about a new time"}}}),
        (T0 + 40 * H, {"reminders": {"follow_up_1d": {"message": None}}}),
    )
    triggers = [event("NO_SHOW", at, c) for at in (T0, T0 + 20 * H, T0 + 50 * H)]
    result = replay(triggers, settings=settings)
    messages = {
        (r.trigger_event_id, r.type): r.message
        for r in result.values()
        if r.rule.value == "no_show"
    }
    first, second, third = (t.event_id for t in triggers)
    assert messages[(first, ReminderType.FOLLOW_UP_1D)] == NO_SHOW_1D.message
    assert messages[(second, ReminderType.FOLLOW_UP_1D)] == "Call them about a new time"
    assert messages[(second, ReminderType.FOLLOW_UP_2H)] == NO_SHOW_2H.message
    assert messages[(third, ReminderType.FOLLOW_UP_1D)] == NO_SHOW_1D.message


def test_the_inactivity_span_is_follow_up_7d_s_delay_from_the_change_on() -> None:
    c = uuid.uuid4()
    settings = history_of((CHANGE, {"reminders": {"follow_up_7d": {"delay": "P3D"}}}))
    first = replay([event("DM_STARTED", T0, c)], settings=settings)
    assert open_times(first)["follow_up_7d"] == [T0 + 7 * D]
    moved = replay(
        [event("DM_STARTED", T0, c), event("MESSAGE_RECEIVED", T0 + 20 * H, c)], settings=settings
    )
    assert open_times(moved)["follow_up_7d"] == [T0 + 20 * H + 3 * D]


def test_a_disabled_follow_up_7d_is_canceled_by_the_next_activity_instead_of_moved() -> None:
    c = uuid.uuid4()
    settings = history_of((CHANGE, {"reminders": {"follow_up_7d": {"enabled": False}}}))
    started = event("DM_STARTED", T0, c)
    # Made before the change, it stays as it is while nothing happens...
    quiet = replay([started], settings=settings)
    assert open_times(quiet)["follow_up_7d"] == [T0 + 7 * D]
    # ...and the first activity from the change on cancels it; none is made again.
    later = [event("MESSAGE_RECEIVED", T0 + 20 * H, c), event("MESSAGE_SENT", T0 + 30 * H, c)]
    result = replay([started, *later], settings=settings)
    inactivity = [r for r in result.values() if r.type is ReminderType.FOLLOW_UP_7D]
    assert len(inactivity) == 1
    assert inactivity[0].status is ReminderStatus.CANCELED
    assert inactivity[0].cancel_reason == TYPE_DISABLED
    assert inactivity[0].closed_at == T0 + 20 * H


def test_quiet_hours_in_force_at_the_trigger_move_its_reminders() -> None:
    c = uuid.uuid4()
    settings = history_of((CHANGE, {"quiet_hours": ["22:00", "07:00"]}))
    # 21:00 in Oslo (UTC+1 in November): 2h later is 23:00, inside the quiet hours.
    before = event("NO_SHOW", T0 - D + 11 * H, c)
    after = event("NO_SHOW", T0 + 11 * H, c)
    result = replay([before, after], settings=settings)
    # The earlier trigger's account had no quiet hours; the later one's moves to 07:00 Oslo.
    assert open_times(result)["follow_up_2h"] == [T0 - D + 13 * H, T0 + D - 3 * H]


def test_no_history_is_the_accounts_file_s_values() -> None:
    c = uuid.uuid4()
    history = [event("NO_SHOW", T0, c), event("VIDEO_SENT", T0 + H, c)]
    seed_only = history_of()
    assert open_times(replay(history, settings=seed_only)) == open_times(replay(history))
    assert open_times(replay(history))["follow_up_2h"] == [T0 + 2 * H]


def test_a_change_is_judged_again_from_the_first_instant_the_rules_read_otherwise() -> None:
    seed = history_of()
    later_delay = history_of((CHANGE, {"reminders": {"follow_up_2h": {"delay": "PT1H"}}}))
    targets_only = history_of((CHANGE, {"dmo_targets": {"invites": 3}}))
    assert judged_again_from(seed, later_delay) == CHANGE
    assert judged_again_from(seed, targets_only) is None  # the rules read no targets
    assert judged_again_from(seed, seed) is None
    # The seed says what the file said: nothing to judge again.
    no_change = SettingsHistory((), ACCOUNT.seed_settings())
    assert judged_again_from(no_change, seed) is None
    # A seed that says otherwise than the file (edited since) holds from the very start.
    edited = Account(account_id="acme", quiet_hours=["22:00", "07:00"])
    assert judged_again_from(SettingsHistory((), edited.seed_settings()), seed) == EARLIEST
    # A change dated before the one it follows (which the customers service refuses) is
    # judged from its own instant.
    earlier = history_of((CHANGE - M, {"reminders": {"follow_up_2h": {"enabled": False}}}))
    assert judged_again_from(later_delay, earlier) == CHANGE - M
