"""Small helpers to write a scenario's facts by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_backtest.accounts import AccountProfile
from crm_backtest.history import Fact

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning in New York (04:00 local)
H = timedelta(hours=1)
M = timedelta(minutes=1)
D = timedelta(days=1)
S = timedelta(seconds=1)
NEW_YORK = AccountProfile("demo-ny", "America/New_York")


class Story:
    """A customer's facts with sequential event ids."""

    def __init__(self, contact: str = "c1", account: str = "demo-ny") -> None:
        self.contact = contact
        self.account = account
        self.facts: list[Fact] = []

    def add(self, name: str, at: datetime, **details: object) -> Fact:
        fact = Fact(
            event_id=f"{self.contact}-{len(self.facts) + 1:03d}",
            name=name,
            at=at,
            contact=self.contact,
            account_id=self.account,
            **details,  # type: ignore[arg-type]
        )
        self.facts.append(fact)
        return fact
