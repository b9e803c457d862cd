"""Coaching at an instant: the prompts that hold, and the timer's emitting them once a day."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from crm_nba.announce import Outlet, coaching_day, coaching_prompt
from crm_nba.policy.coaching import local_day, prompts_holding, streak_may_matter
from crm_nba.policy.table import recommend
from crm_nba.repository import coaching as coaching_store
from crm_schemas.account_settings import SettingsHistory
from crm_schemas.system_properties import CoachingKind, CoachingPrompt
from crm_servicekit.accounts import Account
from crm_servicekit.connection import Conn
from crm_servicekit.outbox import enqueue
from crm_servicekit.settings_store import settings_history


async def rebooks_waiting(
    conn: Conn, account: Account, settings: SettingsHistory, as_of: datetime
) -> int:
    """Customers whose action is rebook at `as_of` (only no-shows can be): the stored
    recommendations that hold then, counted in the database, and the others evaluated afresh.
    The timer asks every second; deciding all no-shows afresh each time cost it half of the
    service's CPU on an account with thousands of them."""
    held = await coaching_store.rebooks_held(conn, account.account_id, as_of)
    stale = await coaching_store.no_shows_stale_at(conn, account.account_id, as_of)
    return held + sum(recommend(p, as_of, settings).action == "rebook" for p in stale)


async def coaching_at(
    conn: Conn,
    account: Account,
    as_of: datetime,
    emitted: Collection[str] = (),
    settings: SettingsHistory | None = None,
) -> list[CoachingPrompt]:
    """The prompts that hold at `as_of`, leaving out streak_at_risk and rebooks_waiting when
    they are in `emitted` (the kinds emitted today, which the timer will not emit again).

    The timer asks every second for every account, so what only an emission needs is not
    looked at once that emission is made: the days before today are read only when the
    streak can matter (reading an account's whole DMO history cost more the longer the
    account was used), and the no-shows are counted only until rebooks_waiting is emitted
    (counting them read every no-show customer's row: 75 ms per account and second with a
    few thousand, most of PostgreSQL's CPU on an idle system). The targets are those in
    force at `as_of` in the account's settings history (read here unless given)."""
    if settings is None:
        settings = await settings_history(conn, account)
    zone = account.time_zone
    recent = await coaching_store.dmo_days(conn, account.account_id, zone, as_of, horizon_days=2)
    today = local_day(as_of, account.zone)
    since = None
    if streak_may_matter(as_of, settings, recent, emitted):
        days = await coaching_store.dmo_days(conn, account.account_id, zone, as_of)
        since = await streak_start(conn, account, today)
    else:  # today alone: its counts are complete, and no streak can be made of it
        days = {today: recent[today]} if today in recent else {}
    if CoachingKind.REBOOKS_WAITING.value in emitted:
        waiting = 0
    else:
        waiting = await rebooks_waiting(conn, account, settings, as_of)
    return prompts_holding(as_of, settings, days, waiting, since)


async def streak_start(conn: Conn, account: Account, today: date) -> date | None:
    """How far back a streak may reach: the local day of the account's earliest event, and
    no further than the horizon the DMO days are read over."""
    first = await coaching_store.first_event_at(conn, account.account_id)
    if first is None:
        return None
    horizon = today - timedelta(days=coaching_store.STREAK_HORIZON_DAYS - 1)
    return max(local_day(first, account.zone), horizon)


async def emit_coaching(
    conn: Conn,
    account: Account,
    outlet: Outlet,
    now: datetime,
    settings: SettingsHistory | None = None,
) -> int:
    """Emit COACHING_PROMPT for each kind whose condition holds and was not emitted today;
    `settings`, the account's history when the caller read it already."""
    today = local_day(now, account.zone)
    emitted = await coaching_store.coaching_emitted(conn, account.account_id, today)
    prompts = await coaching_at(conn, account, now, emitted, settings)
    claimed = await coaching_store.claim_coaching_kinds(
        conn, account.account_id, today, prompts, now
    )
    cause = coaching_day(today.isoformat(), now)
    announced = [
        coaching_prompt(account.account_id, prompt, cause)
        for prompt in prompts
        if prompt.kind.value in claimed
    ]
    await enqueue(conn, announced, outlet.topic)
    return len(announced)
