"""Accounts of one run that change their automation settings mid-history: each is new to the
system (its id carries the run's tag, so no earlier run's changes are in its history), starts
from the accounts file's values, and sends one or two `PUT /api/settings` dated inside the
history with `effective_from`, as a team tuning its automations would."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from crm_backtest.accounts import AccountProfile, SettingsChange
from crm_backtest.clock import iso
from crm_backtest.history import Delivery

# What the runs change: faster and slower follow-ups, a type switched off (the inactivity
# reminder too, whose next activity then cancels it), lower targets, a shorter grace, quiet
# hours. Each within the bounds of docs/api.md.
CHANGES: tuple[dict[str, Any], ...] = (
    {"reminders": {"follow_up_2h": {"delay": "PT1H", "message": "Missed you: new time?"}}},
    {"reminders": {"follow_up_48h": {"enabled": False}}},
    {"reminders": {"follow_up_7d": {"delay": "P5D"}}},
    {"reminders": {"follow_up_7d": {"enabled": False}}},
    {"reminders": {"follow_up_1d": {"delay": "PT12H"}}, "overdue_grace": "PT30M"},
    {"dmo_targets": {"invites": 2, "follow_ups": 1}},
    {"quiet_hours": ["21:00", "08:00"], "reminders": {"follow_up_24h": {"delay": "PT20H"}}},
)
ZONES = ("Europe/Oslo", "America/New_York", "Asia/Tokyo")


def changing_accounts(
    tag: str, count: int, rng: random.Random, anchor: datetime, span: timedelta
) -> list[AccountProfile]:
    """`count` new accounts, each with one or two changes in the history's span (never in its
    last hour, so the checks read the system after every change)."""
    profiles = []
    for n in range(count):
        earliest = anchor - span * 0.8
        window = (anchor - timedelta(hours=1) - earliest).total_seconds()
        times = sorted(
            (earliest + timedelta(seconds=int(rng.uniform(0, window)))).replace(microsecond=0)
            for _ in range(rng.choice((1, 2)))
        )
        bodies = rng.sample(CHANGES, len(times))
        changes = tuple(SettingsChange(at, body) for at, body in zip(times, bodies, strict=True))
        profiles.append(
            AccountProfile(f"bt-{tag}-s{n}", time_zone=ZONES[n % len(ZONES)], changes=changes)
        )
    return profiles


def settings_delivery(tag: str, profile: AccountProfile, index: int) -> Delivery:
    change = profile.changes[index]
    return Delivery(
        route="settings",
        account_id=profile.account_id,
        contact=f"settings:{profile.account_id}",
        event_id=f"bt-{tag}-settings-{profile.account_id}-{index}",
        body={**change.body, "effective_from": iso(change.effective_from)},
    )


def with_settings_changes(
    timed: list[tuple[datetime, Delivery]], profiles: list[AccountProfile], tag: str
) -> list[Delivery]:
    """The deliveries (each with its fact's time, in send order) with each account's changes
    sent where the stream reaches their `effective_from`: before the first delivery of a later
    fact (the rest of the stream may still race them, which the services must handle)."""
    changes = sorted(
        (change.effective_from, settings_delivery(tag, profile, i))
        for profile in profiles
        for i, change in enumerate(profile.changes)
    )
    result: list[Delivery] = []
    pending = list(changes)
    for at, delivery in timed:
        # Never between two items of one batch: they go in one POST.
        inside_batch = bool(result) and delivery.batch is not None
        inside_batch = inside_batch and result[-1].batch == delivery.batch
        while pending and pending[0][0] < at and not inside_batch:
            result.append(pending.pop(0)[1])
        result.append(delivery)
    result.extend(delivery for _, delivery in pending)
    return result
