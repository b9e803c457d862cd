"""Automation settings: defaults, bounds, the per-field merge a change applies, the wire
shape, and which settings were in force at an instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crm_schemas.account_settings import (
    AUTOMATED_TYPES,
    AccountSettingsChanged,
    AutomationSettings,
    SettingsChange,
    SettingsHistory,
)
from crm_schemas.catalog import CATALOG, EventName
from crm_schemas.system_properties import ReminderType

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def test_the_defaults_are_domain_mds() -> None:
    settings = AutomationSettings()
    assert settings.model_dump(mode="json") == {
        "time_zone": "Europe/Oslo",
        "dmo_targets": {"invites": 20, "follow_ups": 30},
        "quiet_hours": None,
        "overdue_grace": "PT1H",
        "default_region": "NO",
        "reminders": {
            "follow_up_2h": {"enabled": True, "delay": "PT2H", "message": None},
            "follow_up_1d": {"enabled": True, "delay": "P1D", "message": None},
            "follow_up_24h": {"enabled": True, "delay": "P1D", "message": None},
            "follow_up_48h": {"enabled": True, "delay": "P2D", "message": None},
            "follow_up_7d": {"enabled": True, "delay": "P7D", "message": None},
        },
    }


def test_the_wire_shape_reads_back() -> None:
    settings = AutomationSettings().merged(
        {"quiet_hours": ["22:00", "07:30"], "reminders": {"follow_up_2h": {"delay": "PT1H"}}}
    )
    again = AutomationSettings.model_validate(settings.model_dump(mode="json"))
    assert again == settings
    assert again.model_dump(mode="json")["quiet_hours"] == ["22:00", "07:30"]


def test_a_merge_keeps_every_field_it_is_not_given() -> None:
    before = AutomationSettings().merged({"reminders": {"follow_up_1d": {"message": "Call"}}})
    after = before.merged(
        {"dmo_targets": {"invites": 5}, "reminders": {"follow_up_1d": {"delay": "PT6H"}}}
    )
    assert after.dmo_targets.invites == 5
    assert after.dmo_targets.follow_ups == 30
    assert after.reminder(ReminderType.FOLLOW_UP_1D).delay == timedelta(hours=6)
    assert after.reminder(ReminderType.FOLLOW_UP_1D).message == "Call"
    assert after.reminder(ReminderType.FOLLOW_UP_2H) == before.reminder(ReminderType.FOLLOW_UP_2H)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"reminders": {"follow_up_2h": {"delay": "PT4M"}}}, "delay"),
        ({"reminders": {"follow_up_2h": {"delay": "P31D"}}}, "delay"),
        ({"reminders": {"custom": {"delay": "PT1H"}}}, "reminders"),
        ({"reminders": {"follow_up_3h": {"enabled": False}}}, "reminders"),
        ({"quiet_hours": ["22:00", "7:30"]}, "quiet_hours"),
        ({"quiet_hours": ["22:00", "22:00"]}, "quiet_hours"),
        ({"dmo_targets": {"invites": 10_001}}, "invites"),
        ({"dmo_targets": {"follow_ups": -1}}, "follow_ups"),
        ({"overdue_grace": "P8D"}, "overdue_grace"),
        ({"overdue_grace": "-PT1H"}, "overdue_grace"),
        ({"default_region": "XX"}, "default_region"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_out_of_bounds_values_name_their_field(patch: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        AutomationSettings().merged(patch)
    assert any(field in map(str, error["loc"]) for error in raised.value.errors())


def test_a_region_is_upper_cased_and_every_type_named() -> None:
    settings = AutomationSettings.model_validate({"default_region": "se", "reminders": {}})
    assert settings.default_region == "SE"
    assert tuple(settings.reminders) == AUTOMATED_TYPES


def test_the_event_is_account_level_and_carries_the_whole_settings() -> None:
    spec = CATALOG[EventName.ACCOUNT_SETTINGS_CHANGED]
    assert spec.account_level
    assert spec.properties is AccountSettingsChanged
    event = AccountSettingsChanged(settings=AutomationSettings(), actor="admin-1")
    assert AccountSettingsChanged.model_validate(event.model_dump(mode="json")) == event


def _with_invites(invites: int) -> AutomationSettings:
    return AutomationSettings().merged({"dmo_targets": {"invites": invites}})


def test_no_change_seen_gives_the_fallback() -> None:
    fallback = _with_invites(3)
    assert SettingsHistory([], fallback).in_force(T0) == fallback


def test_before_the_first_change_the_first_change_holds() -> None:
    history = SettingsHistory([SettingsChange(T0, _with_invites(7))], _with_invites(3))
    assert history.in_force(T0 - timedelta(days=400)).dmo_targets.invites == 7


@given(
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8),
    st.integers(min_value=-10, max_value=200),
)
def test_the_latest_change_at_or_before_the_instant_holds(hours: list[int], probe: int) -> None:
    starts = sorted(T0 + timedelta(hours=h) for h in hours)
    history = SettingsHistory(
        [SettingsChange(at, _with_invites(i)) for i, at in enumerate(starts)], AutomationSettings()
    )
    at = T0 + timedelta(hours=probe)
    earlier = [i for i, start in enumerate(starts) if start <= at]
    expected = earlier[-1] if earlier else 0
    assert history.in_force(at).dmo_targets.invites == expected
    assert history.latest().dmo_targets.invites == len(starts) - 1


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), max_size=8), st.data())
def test_the_settings_before_a_change_are_those_of_the_change_before_it(
    steps: list[tuple[int, int]], data: st.DataObject
) -> None:
    # Changes from the same instant, and equal changes, are where a lookup can go wrong.
    changes = [SettingsChange(T0 + timedelta(hours=h), _with_invites(i)) for h, i in steps]
    history = SettingsHistory(changes, _with_invites(99))
    ordered = history.changes
    probe = data.draw(
        st.sampled_from([*ordered, SettingsChange(T0, _with_invites(5))]), label="change"
    )
    found = [i for i, change in enumerate(ordered) if change == probe]
    expected = None
    if found:
        expected = ordered[found[-1] - 1].settings if found[-1] > 0 else history.fallback
    assert history.settings_before(probe) == expected
