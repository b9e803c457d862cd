"""Every SQL statement of the automation settings: each account's history of changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from crm_schemas.account_settings import AutomationSettings, SettingsChange
from crm_servicekit.connection import Conn


async def lock_account(conn: Conn, account_id: str) -> None:
    """Serialize the changes of one account until the transaction ends: a change is checked
    against the latest one, which a concurrent change must not slip in beside."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('account-settings:' || $1, 0))",
        account_id,
    )


async def history(conn: Conn, account_id: str) -> list[SettingsChange]:
    """The account's changes in force order (time, then the order they were recorded)."""
    rows = await conn.fetch(
        """
        SELECT effective_from, settings FROM account_settings
        WHERE account_id = $1
        ORDER BY effective_from, seq
        """,
        account_id,
    )
    return [
        SettingsChange(row["effective_from"], AutomationSettings.model_validate(row["settings"]))
        for row in rows
    ]


async def insert_change(
    conn: Conn,
    account_id: str,
    event_id: str,
    effective_from: datetime,
    settings: AutomationSettings,
    actor: str,
) -> bool:
    """Record a change once; False when its event is recorded already."""
    inserted = await conn.fetchval(
        """
        INSERT INTO account_settings (account_id, event_id, effective_from, settings, actor)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (account_id, event_id) DO NOTHING
        RETURNING true
        """,
        account_id,
        event_id,
        effective_from,
        settings.model_dump(mode="json"),
        actor,
    )
    return bool(inserted)


async def restore_change(
    conn: Conn,
    account_id: str,
    event_id: str,
    effective_from: datetime,
    settings: AutomationSettings,
    actor: str,
) -> None:
    """Record a change read from the topic; the topic's copy replaces one recorded under the
    same event id (a rebuild's own seed, made before its consumer reached the first one)."""
    await conn.execute(
        """
        INSERT INTO account_settings (account_id, event_id, effective_from, settings, actor)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (account_id, event_id) DO UPDATE
        SET effective_from = EXCLUDED.effective_from,
            settings = EXCLUDED.settings,
            actor = EXCLUDED.actor
        """,
        account_id,
        event_id,
        effective_from,
        settings.model_dump(mode="json"),
        actor,
    )


async def recorded(conn: Conn, seeds: Iterable[tuple[str, str]]) -> dict[str, AutomationSettings]:
    """Of these (account_id, event_id) pairs, the ones recorded, with their settings, by account."""
    pairs = list(seeds)
    if not pairs:
        return {}
    rows = await conn.fetch(
        """
        SELECT s.account_id, s.settings FROM account_settings s
        JOIN unnest($1::text[], $2::text[]) AS wanted(account_id, event_id)
          ON s.account_id = wanted.account_id AND s.event_id = wanted.event_id
        """,
        [account for account, _ in pairs],
        [event for _, event in pairs],
    )
    return {row["account_id"]: AutomationSettings.model_validate(row["settings"]) for row in rows}
