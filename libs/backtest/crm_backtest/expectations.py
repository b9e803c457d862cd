"""Everything the oracle predicts for one history, in the shape the checker compares."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crm_backtest.accounts import AccountProfile
from crm_backtest.card import expected_card
from crm_backtest.clock import iso
from crm_backtest.history import Delivery, History
from crm_backtest.kpis import expected_stats, next_action_overdue
from crm_backtest.nba import recommend
from crm_backtest.pipeline import Step, fold
from crm_backtest.reminders import Reminder, expected_reminders
from crm_backtest.settings_in_force import settings_at

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
    card: dict[str, Any] | None = None  # the card's fields the oracle predicts (kundekort)


@dataclass
class Expectations:
    as_of: datetime
    periods: list[Period]
    contacts: dict[str, ContactExpectation]
    stats: dict[tuple[str, str], dict[str, Any]]  # (account, period name) → flat figures
    # Per contact: whether counts.next_actions_overdue (at as_of) counts them when their NBA
    # is read at a given instant (see kpis.next_action_overdue).
    counted_at: Callable[[str, datetime], bool] = field(
        default=lambda _contact, _at: False, repr=False
    )

    def next_actions_overdue(self, account_id: str, nba_at: datetime) -> int:
        """This run's share of the figure with every NBA read at `nba_at`."""
        return self.next_actions_overdue_range(account_id, [nba_at])[0]

    def next_actions_overdue_range(
        self, account_id: str, instants: Sequence[datetime]
    ) -> tuple[int, int]:
        """The least and most this run's customers can add to the figure when each one's
        NBA is read at any of `instants` (each customer at their own)."""
        low = high = 0
        for contact, expected in self.contacts.items():
            if expected.account_id == account_id:
                seen = [self.counted_at(contact, at) for at in instants]
                low, high = low + min(seen), high + max(seen)
        return low, high


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
    sends: dict[str, list[Delivery]] = {}
    for delivery in history.deliveries:
        sends.setdefault(delivery.contact, []).append(delivery)
    contacts: dict[str, ContactExpectation] = {}
    known: dict[str, tuple[list[Step], list[Reminder], AccountProfile]] = {}
    for contact in history.contacts:
        facts = by_contact.get(contact.key, [])
        if not facts:
            continue
        profile = history.profile(contact.account_id)
        steps = fold(facts)
        reminders = expected_reminders(facts, profile)
        known[contact.key] = (steps, reminders, profile)
        action = recommend(steps, reminders, when, settings_at(profile, when).overdue_grace)
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
            card=(
                expected_card(contact, facts, sends.get(contact.key, []))
                if history.kundekort
                else None
            ),
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

    def counted_at(contact: str, nba_at: datetime) -> bool:
        steps, reminders, profile = known[contact]
        grace = settings_at(profile, when).overdue_grace
        return next_action_overdue(steps, reminders, when, nba_at, grace)

    return Expectations(when, periods, contacts, stats, counted_at)
