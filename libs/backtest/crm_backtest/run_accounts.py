"""The accounts a run adds to the system for itself: written into the system's accounts file
(which every service re-reads while running), awaited until every service serves them, and
taken out again after the checks."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from crm_backtest.accounts import BACKTEST_ACCOUNT_IDS, AccountProfile
from crm_backtest.client import Gateway, monotonic

# One authenticated read of each service: the account is served once all answer 200
# (customers' settings: also seeded, so the run's changes come after the seed).
SERVED_BY = {
    "customers": "/settings",
    "ingest": "/hooks/deliveries",
    "rules": "/reminders",
    "nba": "/nba",
    "stats": "/customers/stats",
}
WAIT_S = 60.0


def _entry(template: dict[str, Any], profile: AccountProfile) -> dict[str, Any]:
    """A backtest account's entry (its secrets, booking tools) as the run's account: its own
    id and time zone, and no Meta ids, which only one account may list."""
    connectors = {k: v for k, v in (template.get("connectors") or {}).items() if k != "meta"}
    return {
        **template,
        "account_id": profile.account_id,
        "time_zone": profile.time_zone,
        "quiet_hours": list(profile.quiet_hours) if profile.quiet_hours else None,
        "connectors": connectors,
    }


def _rewrite(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    document["accounts"] = change(document["accounts"])
    temporary = path.with_name(f".{path.name}.backtest")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    os.chmod(temporary, path.stat().st_mode & 0o777)
    temporary.replace(path)


def add_accounts(path: Path, profiles: list[AccountProfile]) -> None:
    def added(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        template = next(e for e in entries if e["account_id"] in BACKTEST_ACCOUNT_IDS)
        ids = {p.account_id for p in profiles}
        kept = [e for e in entries if e["account_id"] not in ids]
        return [*kept, *(_entry(template, profile) for profile in profiles)]

    _rewrite(path, added)


def remove_accounts(path: Path, profiles: list[AccountProfile]) -> None:
    ids = {p.account_id for p in profiles}
    _rewrite(path, lambda entries: [e for e in entries if e["account_id"] not in ids])


async def served(gateway: Gateway, profiles: list[AccountProfile]) -> None:
    """Returns once every service answers each account; TimeoutError after WAIT_S."""
    deadline = monotonic() + WAIT_S
    waiting = {(p.account_id, path) for p in profiles for path in SERVED_BY.values()}
    while waiting:
        answers = await asyncio.gather(
            *(gateway.request("GET", path, account) for account, path in sorted(waiting))
        )
        for (account, path), response in zip(sorted(waiting), answers, strict=True):
            if response.status_code == 200:
                waiting.discard((account, path))
        if waiting and monotonic() > deadline:
            raise TimeoutError(f"not served after {WAIT_S:.0f} s: {sorted(waiting)}")
        if waiting:
            await asyncio.sleep(0.5)


@asynccontextmanager
async def run_accounts(
    gateway: Gateway, accounts_file: Path | None, profiles: list[AccountProfile]
) -> AsyncIterator[None]:
    """The run's changing accounts in the system for the duration of the block."""
    mine = [profile for profile in profiles if profile.changes]
    if not mine:
        yield
        return
    if accounts_file is None:
        raise ValueError("a run with accounts of its own needs the system's accounts file")
    add_accounts(accounts_file, mine)
    try:
        await served(gateway, mine)
        yield
    finally:
        remove_accounts(accounts_file, mine)
