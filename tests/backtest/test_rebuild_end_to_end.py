"""`crm rebuild --service rules` on the whole system after a backtest gives back the reminders
table it had (docs/architecture.md, 'Deterministic ids, and rebuilding from the topic').

The system may have run other backtests before (CI runs this after them, on the same system).
A run that changes settings adds accounts of its own to the accounts file and takes them out
after its checks; their events stay on the topic, and on replay the rules dead-letter them (an
account that is not in the accounts file has no automation). So the table given back is that
of the accounts in the file when the rebuild runs, and the others' reminders are not restored.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from rich.console import Console

from crm_backtest.accounts import BACKTEST_ACCOUNT_IDS, load_profiles
from crm_backtest.client import monotonic
from crm_backtest.generator import generate
from crm_backtest.readings import poll
from crm_backtest.run import run_backtest
from crm_devstack.settings import StackConfig
from crm_devstack.system_stack import bring_up_system, stop_service
from crm_schemas.topics import EVENTS_TOPIC
from crm_servicekit.consumer_groups import GroupOffsets

from .conftest import System
from .e2e_support import SERVICES_INSTALLED

CONTACTS = 300
# The replay takes the whole topic again, every earlier test's events included.
REPLAY_WAIT = "15m"
SETTLE_S = 180.0

pytestmark = [
    pytest.mark.e2e,
    SERVICES_INSTALLED,
    pytest.mark.timeout(1800),
]

Row = dict[str, Any]


async def until(read: Callable[[], Awaitable[Any]], done: Callable[[Any], bool]) -> Any:
    """The first reading `done` accepts, or the last one after SETTLE_S (for the assert)."""
    reading, _ = await poll(read, done, monotonic() + SETTLE_S)
    return reading


async def fetch(dsn: str, query: str) -> list[Row]:
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(row) for row in await conn.fetch(query)]
    finally:
        await conn.close()


def announced_due(row: Row) -> bool:
    return row["status"] == "open" and row["due_notified_for"] == row["scheduled_for"]


def comparable(rows: list[Row], due: set[object]) -> list[Row]:
    """Every column a replay gives back; `due_notified_for` (the scheduler's, not the topic's)
    only where an open reminder had been announced due at its time before the rebuild: the
    restarted scheduler announces it again at that time (same event id). A reminder announced
    and closed later may be closed again on replay before any scheduler pass, and one not yet
    announced may fall due meanwhile."""
    return [
        row if row["id"] in due else {k: v for k, v in row.items() if k != "due_notified_for"}
        for row in rows
    ]


async def crm(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "crm_servicekit.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **env, "COLUMNS": "200"},
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()
    return out.decode()


async def run_a_backtest(system: System) -> None:
    accounts_file = system.state_dir / "accounts.json"
    profiles = load_profiles(accounts_file, list(BACKTEST_ACCOUNT_IDS))
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    # One account of the run's own changes its settings: its reminders are the rules' to
    # restore while the run lasts, and gone from the accounts file at the rebuild.
    history = generate(CONTACTS, seed=27, anchor=anchor, accounts=profiles, settings_accounts=1)
    output = io.StringIO()
    report = await run_backtest(
        history, system.api, system.credentials, rate=500, catch_up_s=180,
        console=Console(file=output, width=200), accounts_file=accounts_file,
    )  # fmt: skip
    assert report.mismatches == 0, output.getvalue()


async def test_rebuilding_rules_after_a_backtest_gives_the_same_reminders_table(
    system: System,
) -> None:
    config = StackConfig.from_env(system.state_dir)
    env = config.endpoints.as_env()
    rules_db = f"{env['DATABASE_URL'].rsplit('/', 1)[0]}/rules"
    await run_a_backtest(system)

    # Rules has applied all there is and sent its outbox; then it stops and its table stands.
    async with GroupOffsets(env["KAFKA_BOOTSTRAP_SERVERS"], EVENTS_TOPIC, "rules") as group:
        ends = await group.ends()
        progress = await until(lambda: group.progress(ends), lambda p: p.caught_up)
        assert progress.caught_up, progress
    unsent = "SELECT count(*) AS n FROM outbox"
    assert (await until(lambda: fetch(rules_db, unsent), lambda r: r[0]["n"] == 0))[0]["n"] == 0
    stopped = await stop_service(config, "rules")
    assert set(stopped.values()) == {"stopped"}, stopped
    reminders = "SELECT * FROM reminders ORDER BY account_id, id"
    table = await fetch(rules_db, reminders)
    configured = {p.account_id for p in load_profiles(system.state_dir / "accounts.json")}
    before = [row for row in table if row["account_id"] in configured]
    assert {row["account_id"] for row in before} >= set(BACKTEST_ACCOUNT_IDS), "no reminders"
    assert {row["account_id"] for row in table} - configured, "no run account left its rows"
    due = {row["id"] for row in before if announced_due(row)}

    reset = await crm(env, "rebuild", "--service", "rules", "--yes", "--no-wait")
    assert "emptied" in reset
    assert await fetch(rules_db, reminders) == []
    await bring_up_system(config, lambda _: None)
    caught_up = await crm(
        env, "rebuild", "--service", "rules", "--wait-only", "--timeout", REPLAY_WAIT
    )
    assert "caught up" in caught_up

    # Caught up: every event the table was made of is applied; the scheduler's marks follow.
    want = comparable(before, due)
    after = await until(lambda: fetch(rules_db, reminders), lambda r: comparable(r, due) == want)
    assert comparable(after, due) == want
    # The removed accounts' events were dead-lettered, so nothing of theirs is back.
    assert {row["account_id"] for row in after} <= configured
