"""What the automation settings emit: ACCOUNT_SETTINGS_CHANGED, the whole settings after a
change, stamped with the change's ``effective_from`` and keyed by the account (pure)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from crm_schemas.account_settings import SEED_ACTOR, AccountSettingsChanged, AutomationSettings
from crm_schemas.catalog import EventName
from crm_schemas.causes import Cause
from crm_schemas.contact import Source
from crm_schemas.envelope import EventEnvelope

PRODUCER = "customers"


def seed_event_id(account_id: str) -> str:
    """The seed's id: the same for every replica and every rebuild, so it is made once."""
    return f"settings:{account_id}:seed"


def settings_seeded(
    account_id: str, settings: AutomationSettings, seeded_at: datetime
) -> EventEnvelope:
    """The first change of an account: the accounts file's values (else the defaults)."""
    return EventEnvelope(
        event_name=EventName.ACCOUNT_SETTINGS_CHANGED,
        event_id=seed_event_id(account_id),
        timestamp=seeded_at,
        account_id=account_id,
        customer_id=None,
        source=Source.SYSTEM,
        properties=AccountSettingsChanged(settings=settings, actor=SEED_ACTOR).model_dump(
            mode="json", exclude_none=True
        ),
        received_at=seeded_at,
        producer=PRODUCER,
    )


def settings_changed(
    cause: Cause, account_id: str, settings: AutomationSettings, effective_from: datetime
) -> EventEnvelope:
    """A person's change: the settings after it, from ``effective_from`` (its timestamp)."""
    assert cause.actor_id is not None, "a person's change names who made it"
    return dataclasses.replace(cause, timestamp=effective_from).event(
        EventName.ACCOUNT_SETTINGS_CHANGED,
        producer=PRODUCER,
        account_id=account_id,
        customer_id=None,
        properties=AccountSettingsChanged(settings=settings, actor=cause.actor_id),
    )
