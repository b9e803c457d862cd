"""The automation settings' policy: when a change may take effect, the settings after it, and
which fields an edit of the accounts file changed since the seed (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crm_customers.automation.policy import ChangeRefused, change, file_edit
from crm_schemas.account_settings import (
    AutomationSettings,
    DmoTargets,
    SettingsChange,
    SettingsHistory,
)
from crm_schemas.system_properties import ReminderType

from .events import T

SEED = AutomationSettings(default_region="SE")
SEEDED = SettingsHistory([SettingsChange(T, SEED)], AutomationSettings())


def test_a_change_is_laid_over_the_latest_settings_from_now_by_default() -> None:
    now = T + timedelta(hours=1)
    decided = change(SEEDED, {"reminders": {"follow_up_1d": {"enabled": False}}}, None, now)
    assert decided.effective_from == now
    assert decided.settings.reminder(ReminderType.FOLLOW_UP_1D).enabled is False
    assert decided.settings.reminder(ReminderType.FOLLOW_UP_1D).delay == timedelta(days=1)
    assert decided.settings.default_region == "SE"


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (T + timedelta(hours=1, minutes=6), "5 minutes ahead"),
        (T + timedelta(hours=1) - timedelta(days=30, seconds=1), "30 days back"),
        (T - timedelta(seconds=1), "before the latest change"),
    ],
)
def test_effective_from_out_of_bounds_is_refused_naming_it(start: datetime, message: str) -> None:
    with pytest.raises(ChangeRefused) as refused:
        change(SEEDED, {"overdue_grace": "PT2H"}, start, T + timedelta(hours=1))
    ((loc, why),) = refused.value.errors
    assert loc == ("effective_from",)
    assert message in why


def test_the_bounds_themselves_are_taken() -> None:
    now = T + timedelta(days=40)
    later = SettingsHistory([SettingsChange(T, SEED)], AutomationSettings())
    assert change(later, {"overdue_grace": "PT2H"}, now + timedelta(minutes=5), now)
    assert change(later, {"overdue_grace": "PT2H"}, now - timedelta(days=30), now)
    assert change(SEEDED, {"overdue_grace": "PT2H"}, T, T + timedelta(hours=1))


def test_every_bad_field_is_named_at_once() -> None:
    patch = {"dmo_targets": {"invites": -1}, "overdue_grace": "P8D"}
    with pytest.raises(ChangeRefused) as refused:
        change(SEEDED, patch, T + timedelta(hours=2), T)
    locs = {loc for loc, _ in refused.value.errors}
    assert locs == {("effective_from",), ("dmo_targets", "invites"), ("overdue_grace",)}


def test_an_edit_of_the_file_names_the_fields_it_changed() -> None:
    edited = AutomationSettings(default_region="SE", dmo_targets=DmoTargets(invites=3))
    edit = file_edit("acme", SEED, edited)
    assert edit is not None
    assert edit.fields == ("dmo_targets",)
    assert file_edit("acme", SEED, AutomationSettings(default_region="SE")) is None
