"""Each account's settings history, kept from ACCOUNT_SETTINGS_CHANGED by every service that
applies settings (docs/domain.md, Accounts): what the customers service announced, stored as
it came, and read back as a ``SettingsHistory`` that answers which settings held when.

Storage only: which setting a rule uses, and at which instant, is each service's own policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from crm_schemas.account_settings import AutomationSettings, SettingsChange, SettingsHistory
from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn

SETTINGS_EVENT = EventName.ACCOUNT_SETTINGS_CHANGED


def settings_changes(events: Iterable[EventEnvelope]) -> list[EventEnvelope]:
    return [event for event in events if event.event_name is SETTINGS_EVENT]


def settings_change_of(event: EventEnvelope) -> SettingsChange:
    """The change an ACCOUNT_SETTINGS_CHANGED records: what its history holds once it is
    recorded, so a history read before it grows by this (``SettingsHistory.with_change``)
    into the one read after."""
    settings = AutomationSettings.model_validate(event.properties.get("settings"))
    return SettingsChange(event.timestamp, settings)


async def record_settings_changes(conn: Conn, events: Sequence[EventEnvelope]) -> set[str]:
    """Keep the batch's ACCOUNT_SETTINGS_CHANGED; the accounts whose history grew (a change
    seen before is not recorded again)."""
    changes = settings_changes(events)
    if not changes:
        return set()
    # The settings go as JSON text, cast in SQL: a pool's connections encode a jsonb parameter
    # themselves (crm_servicekit.db), and would store this text as one JSON string.
    rows = await conn.fetch(
        """
        INSERT INTO account_settings_history (account_id, event_id, effective_from, settings)
        SELECT k.account_id, k.event_id, k.effective_from, k.settings::jsonb
        FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
            AS k(account_id, event_id, effective_from, settings)
        ON CONFLICT (account_id, event_id) DO NOTHING
        RETURNING account_id
        """,
        [event.account_id for event in changes],
        [event.event_id for event in changes],
        [event.timestamp for event in changes],
        [settings_change_of(event).settings.model_dump_json() for event in changes],
    )
    return {row["account_id"] for row in rows}


async def settings_histories(conn: Conn, accounts: Iterable[Account]) -> dict[str, SettingsHistory]:
    """The history of each account (one query); an account with no change seen yet falls back
    to the accounts file's values, which are what its seed will say."""
    by_id = {account.account_id: account for account in accounts}
    rows = await conn.fetch(
        """
        SELECT account_id, effective_from, settings::text AS settings
        FROM account_settings_history
        WHERE account_id = ANY($1::text[])
        ORDER BY account_id, effective_from, recorded
        """,
        list(by_id),
    )
    changes: dict[str, list[SettingsChange]] = {account_id: [] for account_id in by_id}
    for row in rows:
        settings = AutomationSettings.model_validate_json(row["settings"])
        changes[row["account_id"]].append(SettingsChange(row["effective_from"], settings))
    return {
        account_id: SettingsHistory(changes[account_id], account.seed_settings())
        for account_id, account in by_id.items()
    }


async def settings_history(conn: Conn, account: Account) -> SettingsHistory:
    return (await settings_histories(conn, [account]))[account.account_id]
