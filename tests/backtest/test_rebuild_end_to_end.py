"""`crm rebuild --service rules` on the whole system after a backtest gives back the reminders
table it had (docs/architecture.md, 'Deterministic ids, and rebuilding from the topic')."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from rich.console import Console

from crm_backtest.accounts import BACKTEST_ACCOUNT_IDS, load_profiles
from crm_backtest.generator import generate
from crm_backtest.run import run_backtest
from crm_devstack.settings import StackConfig
from crm_devstack.system_stack import bring_up_system, stop_service
from crm_schemas.topics import EVENTS_TOPIC
from crm_servicekit.consumer_groups import GroupOffsets

from .conftest import System

SERVICES = ("ingest", "customers", "rules", "nba", "stats")
MISSING = [s for s in SERVICES if not (Path(sys.executable).parent / f"crm-{s}").exists()]
CONTACTS = 300

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(MISSING), reason=f"services not installed: {MISSING}"),
    pytest.mark.timeout(900),
]


async def until(probe: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], s: float) -> Any:
    deadline = time.monotonic() + s
    while True:
        value = await probe()
        if done(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.5)


async def fetch(dsn: str, query: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [dict(row) for row in await conn.fetch(query)]
    finally:
        await conn.close()


def comparable(rows: list[dict[str, Any]], notified: set[object]) -> list[dict[str, Any]]:
    """The rows with `due_notified_for` kept only where it was set before the rebuild: the
    scheduler may rightly announce, after it, a reminder that fell due while rules was down."""
    return [
        row if row["id"] in notified else {k: v for k, v in row.items() if k != "due_notified_for"}
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


async def test_rebuilding_rules_after_a_backtest_gives_the_same_reminders_table(
    system: System,
) -> None:
    config = StackConfig.from_env(system.state_dir)
    env = config.endpoints.as_env()
    rules_db = f"{env['DATABASE_URL'].rsplit('/', 1)[0]}/rules"
    profiles = load_profiles(system.state_dir / "accounts.json", list(BACKTEST_ACCOUNT_IDS))
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    history = generate(CONTACTS, seed=27, anchor=anchor, accounts=profiles)
    output = io.StringIO()
    report = await run_backtest(
        history, system.api, system.credentials, rate=500, catch_up_s=180,
        console=Console(file=output, width=200), accounts_file=system.state_dir / "accounts.json",
    )  # fmt: skip
    assert report.mismatches == 0, output.getvalue()

    # Rules has applied all there is and sent its outbox; then it stops and its table stands.
    async with GroupOffsets(env["KAFKA_BOOTSTRAP_SERVERS"], EVENTS_TOPIC, "rules") as group:
        ends = await group.ends()
        progress = await until(lambda: group.progress(ends), lambda p: p.caught_up, 180)
        assert progress.caught_up, progress
    unsent = "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL"
    assert (await until(lambda: fetch(rules_db, unsent), lambda r: r[0]["n"] == 0, 60))[0]["n"] == 0
    stopped = await stop_service(config, "rules")
    assert set(stopped.values()) == {"stopped"}, stopped
    reminders = "SELECT * FROM reminders ORDER BY account_id, id"
    before = await fetch(rules_db, reminders)
    assert before, "the backtest made no reminder"
    notified = {row["id"] for row in before if row["due_notified_for"] is not None}

    reset = await crm(env, "rebuild", "--service", "rules", "--yes", "--no-wait")
    assert "emptied" in reset
    assert await fetch(rules_db, reminders) == []
    await bring_up_system(config, lambda _: None)
    caught_up = await crm(env, "rebuild", "--service", "rules", "--wait-only", "--timeout", "10m")
    assert "caught up" in caught_up

    want = comparable(before, notified)
    after = await until(
        lambda: fetch(rules_db, reminders), lambda rows: comparable(rows, notified) == want, 120
    )
    assert comparable(after, notified) == want
