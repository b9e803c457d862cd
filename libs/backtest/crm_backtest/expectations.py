"""Everything the oracle predicts for one history, in the shape the checker compares."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crm_backtest.clock import iso
from crm_backtest.history import History
from crm_backtest.kpis import expected_stats
from crm_backtest.nba import recommend
from crm_backtest.pipeline import fold
from crm_backtest.reminders import expected_reminders

# Figures that add up over customers: on an account that already holds other data in the
# period, these are checked as "baseline + expected"; the ratios and medians only when the
# account was empty there.
ADDITIVE_PREFIXES = (
    "counts.",
    "by_status.",
    "opted_out",
    "funnel.cohort",
    "funnel.qualified",
    "funnel.booked",
    "funnel.held",
    "funnel.signed_up",
    "speed_to_lead.answered",
    "speed_to_lead.unanswered",
    "dmo.today.invites",
    "dmo.today.follow_ups",
    "dmo.week.invites",
    "dmo.week.follow_ups",
)
TARGETS = ("invites_target", "follow_ups_target")


def is_additive(key: str) -> bool:
    return key.startswith(ADDITIVE_PREFIXES) and not key.endswith(("_pct", *TARGETS))


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@dataclass(frozen=True)
class Period:
    name: str
    start: datetime
    end: datetime


@dataclass
class ContactExpectation:
    contact: str
    account_id: str
    event_ids: list[str]
    pipeline: dict[str, Any]
    reminders: Counter[tuple[str, str, str]]
    nba: dict[str, Any]


@dataclass
class Expectations:
    as_of: datetime
    periods: list[Period]
    contacts: dict[str, ContactExpectation]
    stats: dict[tuple[str, str], dict[str, Any]]  # (account, period name) → flat figures


def periods_of(history: History) -> list[Period]:
    """The whole history (from the hour of its first fact) and its last seven days."""
    first = min((fact.at for fact in history.facts), default=history.anchor)
    start = first.replace(minute=0, second=0, microsecond=0)
    return [
        Period("history", start, history.anchor),
        Period("last_7_days", history.anchor - timedelta(days=7), history.anchor),
    ]


def expect(history: History, as_of: datetime | None = None) -> Expectations:
    when = as_of or history.anchor
    by_contact = history.facts_by_contact()
    contacts: dict[str, ContactExpectation] = {}
    for contact in history.contacts:
        facts = by_contact.get(contact.key, [])
        if not facts:
            continue
        profile = history.profile(contact.account_id)
        steps = fold(facts)
        reminders = expected_reminders(facts, profile)
        action = recommend(steps, reminders, when, profile.overdue_grace)
        state = steps[-1].after
        contacts[contact.key] = ContactExpectation(
            contact=contact.key,
            account_id=contact.account_id,
            event_ids=[fact.event_id for fact in facts],
            pipeline={
                "status": state.status,
                "booking": state.booking,
                "joined_team": state.joined_team,
                "opted_out": state.opted_out,
            },
            reminders=Counter(r.key() for r in reminders),
            nba={
                "action": action.action,
                "priority": action.priority,
                "due_at": iso(action.due_at) if action.due_at else None,
            },
        )
    periods = periods_of(history)
    stats = {}
    for profile in history.accounts:
        customers = [
            by_contact[c.key] for c in history.contacts if c.account_id == profile.account_id
        ]
        for period in periods:
            figures = expected_stats(customers, profile, period.start, period.end, when)
            stats[(profile.account_id, period.name)] = flatten(figures)
    return Expectations(when, periods, contacts, stats)
