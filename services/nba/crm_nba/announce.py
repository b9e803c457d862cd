"""What the NBA emits: NBA_CHANGED when a customer's answer changes, COACHING_PROMPT for an
account, both written to the outbox under ids derived from their cause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_schemas.system_properties import CoachingPrompt, NbaChanged, Recommendation
from crm_servicekit.accounts import Account, Accounts

PRODUCER = "nba"


@dataclass(frozen=True)
class Outlet:
    """Where the service's own events go, and the accounts' settings that decide them."""

    accounts: Accounts
    topic: str

    def account(self, account_id: str) -> Account:
        # An event may name an account the file no longer lists; its defaults still apply.
        return self.accounts.get(account_id) or Account(account_id=account_id)


def time_passed(customer_id: UUID, changes_at: datetime, now: datetime) -> Cause:
    """The cause of a change time alone made: the stored instant it happened names it,
    whenever the timer gets to it, so a replica or a restart announces it under the same id."""
    return Cause(
        event_id=f"nba-timer:{customer_id}:{changes_at.isoformat()}",
        event_name=EventName.NBA_CHANGED.value,
        timestamp=changes_at,
        received_at=now,
    )


def person_asked(customer_id: UUID, now: datetime) -> Cause:
    """The cause of a recompute a person asked for through the API, at `now`."""
    return Cause(
        event_id=f"nba-analyze:{customer_id}:{now.isoformat()}",
        event_name=EventName.NBA_CHANGED.value,
        timestamp=now,
        received_at=now,
    )


def coaching_day(local_date: str, now: datetime) -> Cause:
    """The cause of an account's prompts of one local day: each kind is announced once a
    day under the same id, whichever replica or tick gets there first."""
    return Cause(
        event_id=f"coaching:{local_date}",
        event_name=EventName.COACHING_PROMPT.value,
        timestamp=now,
        received_at=now,
    )


def nba_changed(
    account_id: str, customer_id: UUID, recommendation: Recommendation, cause: Cause
) -> EventEnvelope:
    return cause.event(
        EventName.NBA_CHANGED,
        producer=PRODUCER,
        account_id=account_id,
        customer_id=customer_id,
        properties=NbaChanged(recommendation=recommendation),
    )


def coaching_prompt(account_id: str, prompt: CoachingPrompt, cause: Cause) -> EventEnvelope:
    # One prompt of each kind a day: the kind tells the day's prompts apart.
    return cause.event(
        EventName.COACHING_PROMPT,
        producer=PRODUCER,
        account_id=account_id,
        customer_id=None,
        properties=prompt,
        discriminator=prompt.kind.value,
    )
