"""Which automation settings the rules read (docs/domain.md, Accounts): each trigger's reminders
follow the settings in force at the trigger's timestamp, so a change of an account's settings
history matters to the rules only from the first instant at which those settings differ.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from crm_schemas.account_settings import AutomationSettings, SettingsHistory
from crm_servicekit.accounts import Account

# Before any instant a trigger can carry (crm_schemas.instants refuses earlier ones).
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)


def history_of(account: Account, settings: SettingsHistory | None) -> SettingsHistory:
    """The given history, or, with none, the accounts file's values throughout."""
    return settings if settings is not None else SettingsHistory((), account.seed_settings())


def _read_by_rules(settings: AutomationSettings) -> tuple[object, ...]:
    """What a replay reads of the settings: the zone and quiet hours that place a reminder,
    and each type's switch, delay and message (targets, grace and region are read elsewhere)."""
    return (settings.time_zone, settings.quiet_hours, settings.reminders)


def judged_again_from(before: SettingsHistory, after: SettingsHistory) -> datetime | None:
    """The first instant from which a replay under `after` may decide otherwise than under
    `before` (EARLIEST when even the settings before every change differ), or None when the
    rules read the same throughout."""
    starts = sorted({c.effective_from for h in (before, after) for c in h.changes})
    if not starts:
        return None
    # Before the first change both hold their first settings (or the file's values).
    earlier = starts[0] - timedelta(microseconds=1)
    if _read_by_rules(before.in_force(earlier)) != _read_by_rules(after.in_force(earlier)):
        return EARLIEST
    for start in starts:
        if _read_by_rules(before.in_force(start)) != _read_by_rules(after.in_force(start)):
            return start
    return None


def settings_version(history: SettingsHistory) -> int:
    """Which of the account's histories a kept replay was made under: changes are only ever
    added, so their count tells the histories apart."""
    return len(history.changes)
