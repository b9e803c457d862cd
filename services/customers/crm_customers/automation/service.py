"""The automation settings' use cases: read them, change them (an admin), seed them from the
accounts file, and restore them from the topic in a rebuild."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from crm_customers.automation import policy, repository
from crm_customers.automation.announce import seed_event_id, settings_changed, settings_seeded
from crm_schemas.account_settings import (
    SEED_ACTOR,
    AccountSettingsChanged,
    AutomationSettings,
    SettingsChange,
    SettingsHistory,
)
from crm_schemas.causes import Cause
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue, enqueue_applied


async def history_of(conn: Conn, account: Account) -> SettingsHistory:
    """The account's settings over time; before its seed, the file's values."""
    return await _history(conn, account.account_id, account.seed_settings())


async def region_in_force(conn: Conn, account_id: str, at: datetime, file_region: str) -> str:
    """The region phone numbers without a country code are read in at ``at``; the accounts
    file's until the account is seeded."""
    # Only the region is read, so the file's other values need not stand in before the seed.
    history = await _history(conn, account_id, AutomationSettings(default_region=file_region))
    return history.in_force(at).default_region


async def _history(conn: Conn, account_id: str, before_seed: AutomationSettings) -> SettingsHistory:
    return SettingsHistory(await repository.history(conn, account_id), before_seed)


async def seed(conn: Conn, account: Account, now: datetime, topic: str) -> bool:
    """The account's first change, from the accounts file, once: True if this call made it.

    Replicas seeding at once meet on the table's unique event id; the loser writes nothing.
    The seed is not counted as processed, so when it comes back from the topic the consumer
    records the topic's copy (see ``restore``)."""
    settings = account.seed_settings()
    since = policy.seed_effective_from(now)
    event = settings_seeded(account.account_id, settings, since)
    made = await repository.insert_change(
        conn, account.account_id, event.event_id, since, settings, SEED_ACTOR
    )
    if made:
        await enqueue(conn, [event], topic)
    return made


async def change(
    conn: Conn,
    account: Account,
    cause: Cause,
    patch: Mapping[str, Any],
    effective_from: datetime | None,
    topic: str,
) -> SettingsChange:
    """An admin's change, merged into the latest settings; one ACCOUNT_SETTINGS_CHANGED
    through the outbox in the same transaction."""
    await repository.lock_account(conn, account.account_id)
    now = cause.timestamp
    await seed(conn, account, now, topic)  # an account changed before the loop saw it
    decided = policy.change(await history_of(conn, account), patch, effective_from, now)
    event = settings_changed(cause, account.account_id, decided.settings, decided.effective_from)
    await repository.insert_change(
        conn,
        account.account_id,
        event.event_id,
        decided.effective_from,
        decided.settings,
        str(cause.actor_id),
    )
    await enqueue_applied(conn, [event], topic)
    return SettingsChange(decided.effective_from, decided.settings)


async def seeds_of(conn: Conn, account_ids: Sequence[str]) -> dict[str, AutomationSettings]:
    """The accounts seeded already, with the settings they were seeded with."""
    return await repository.recorded(conn, [(a, seed_event_id(a)) for a in account_ids])


async def restore(conn: Conn, event: EventEnvelope) -> None:
    """A change read from the topic (a rebuild, or a seed coming back), recorded as it was."""
    props = AccountSettingsChanged.model_validate(event.properties)
    await repository.restore_change(
        conn, event.account_id, event.event_id, event.timestamp, props.settings, props.actor
    )
