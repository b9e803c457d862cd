"""ACCOUNT_SETTINGS_CHANGED as the customers service announces it: account-level (no customer),
keyed by the account, stamped with the change's effective_from, carrying the whole settings
after the change and who made it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from crm_schemas.account_settings import SEED_ACTOR, AutomationSettings
from crm_schemas.catalog import EventName
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account


def settings_changed(
    account: Account,
    at: datetime,
    patch: dict[str, Any],
    *,
    before: AutomationSettings | None = None,
    actor: str = "user-1",
    event_id: str | None = None,
) -> EventEnvelope:
    """`patch` laid over `before` (by default the accounts file's values, as the seed has them)."""
    settings = (before or account.seed_settings()).merged(patch)
    return EventEnvelope(
        event_name=EventName.ACCOUNT_SETTINGS_CHANGED,
        event_id=event_id or f"settings:{account.account_id}:{uuid.uuid4()}",
        timestamp=at,
        account_id=account.account_id,
        source=Source.SYSTEM,
        properties={"settings": settings.model_dump(mode="json"), "actor": actor},
        received_at=at,
        producer="customers",
    )


def seeded(account: Account, at: datetime) -> EventEnvelope:
    """The first ACCOUNT_SETTINGS_CHANGED of an account: the accounts file's values."""
    return settings_changed(
        account, at, {}, actor=SEED_ACTOR, event_id=f"settings:{account.account_id}:seed"
    )


def settings_of(event: EventEnvelope) -> AutomationSettings:
    return AutomationSettings.model_validate(event.properties["settings"])
