"""Which settings an account had at an instant, for the oracle: its profile (the accounts
file's values) with the backtest's own `PUT /api/settings` bodies laid over it, each from its
`effective_from` (docs/domain.md, Accounts). Written apart from the services' code, as the
rest of the oracle is: only the document is shared."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from typing import Any

from crm_backtest.accounts import AccountProfile

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def duration(text: str) -> timedelta:
    """The ISO 8601 durations a backtest writes: days, hours, minutes, seconds."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT"):
        raise ValueError(f"not a duration the backtest writes: {text!r}")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def settings_at(profile: AccountProfile, at: datetime) -> AccountProfile:
    """The profile as it stood at `at`: every change with `effective_from` at or before it
    applied in order (the latest wins, per field)."""
    current = dataclasses.replace(profile, changes=())
    for change in profile.changes:
        if change.effective_from <= at:
            current = _applied(current, change.body)
    return current


def _applied(profile: AccountProfile, body: dict[str, Any]) -> AccountProfile:
    fields: dict[str, Any] = {}
    targets = body.get("dmo_targets") or {}
    if "invites" in targets:
        fields["invites_target"] = int(targets["invites"])
    if "follow_ups" in targets:
        fields["follow_ups_target"] = int(targets["follow_ups"])
    if "quiet_hours" in body:
        quiet = body["quiet_hours"]
        fields["quiet_hours"] = (quiet[0], quiet[1]) if quiet else None
    if "overdue_grace" in body:
        fields["overdue_grace"] = duration(body["overdue_grace"])
    disabled = set(profile.disabled_reminders)
    delays = dict(profile.reminder_delays)
    for kind, setting in (body.get("reminders") or {}).items():
        if "enabled" in setting:
            (disabled.discard if setting["enabled"] else disabled.add)(kind)
        if "delay" in setting:
            delays[kind] = duration(setting["delay"])
    fields["disabled_reminders"] = frozenset(disabled)
    fields["reminder_delays"] = tuple(sorted(delays.items()))
    return dataclasses.replace(profile, **fields)
