"""Scale-out through the whole system: two replicas of every service (ingest's sharing its port,
the consumers' splitting the partitions), a 1k-contact backtest, and one replica of each
consumer service killed with SIGKILL mid-replay and replaced, the way an operator would:
`crm-devstack kill <replica>`, then `crm-devstack system up`, which starts what is missing.

Zero mismatches, no 500, nothing dead-lettered; and, read from the stores themselves: no
reminder stored twice, no fact under two customer ids, no identity held by two customers.

It stops and starts services other tests use, so it runs with the chaos tests, after all the
others; it leaves one replica of each service running, as the session's `system` expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from crm_backtest.accounts import BACKTEST_ACCOUNT_IDS, load_profiles
from crm_backtest.generator import generate
from crm_backtest.history import History
from crm_devstack.servers_for_tests import run_coroutine
from crm_devstack.settings import StackConfig
from crm_devstack.system_stack import bring_up_system, system_states

from .chaos_support import clean_chaos_run
from .conftest import System
from .e2e_support import SERVICES, SERVICES_INSTALLED
from .store_checks import customers_problems, ingest_problems, reminder_problems

# One replica of each consumer service: the first replica of customers and rules (started
# first, so the one holding its outbox relay's lock: the standby must take over) and the
# second of nba and stats.
KILLED = ("customers", "rules", "nba-2", "stats-2")
CONTACTS = 1000
RATE = 500.0

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.chaos,
    SERVICES_INSTALLED,
    pytest.mark.timeout(900),
]


def _bring_up(system: System, count: int) -> None:
    config = StackConfig.from_env(system.state_dir)
    counts = dict.fromkeys(SERVICES, count)
    run_coroutine(lambda: bring_up_system(config, lambda _: None, counts))


@pytest.fixture
def two_replicas_each(system: System) -> Iterator[System]:
    """The system with two replicas of every service; one each again afterwards."""
    _bring_up(system, 2)
    try:
        yield system
    finally:
        _bring_up(system, 1)


def _replica_names(system: System) -> list[str]:
    config = StackConfig.from_env(system.state_dir)
    states = run_coroutine(lambda: system_states(config))
    return [state.name for state in states if state.pid and state.answering]


async def _store_problems(system: System, history: History) -> list[str]:
    server = StackConfig.from_env(system.state_dir).endpoints.postgres_url.rsplit("/", 1)[0]
    problems: list[str] = []
    ingest = await asyncpg.connect(f"{server}/ingest")
    try:
        found, customer_ids = await ingest_problems(ingest, history)
    finally:
        await ingest.close()
    problems += [f"ingest: {p}" for p in found]
    for database, check in (("customers", customers_problems), ("rules", reminder_problems)):
        conn = await asyncpg.connect(f"{server}/{database}")
        try:
            problems += [f"{database}: {p}" for p in await check(conn, customer_ids)]
        finally:
            await conn.close()
    return problems


async def test_two_replicas_each_with_one_of_each_consumer_killed_mid_replay_lose_nothing(
    two_replicas_each: System, tmp_path: Path
) -> None:
    system = two_replicas_each
    running = _replica_names(system)
    assert [name for name in running if name != "gateway"] == [
        name for service in SERVICES for name in (service, f"{service}-2")
    ]
    profiles = load_profiles(system.state_dir / "accounts.json", list(BACKTEST_ACCOUNT_IDS))
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    history = generate(CONTACTS, seed=29, anchor=anchor, accounts=profiles)
    await clean_chaos_run(
        system, history, tmp_path / "replicas.json", rate=RATE, catch_up_s=180, pieces=KILLED
    )
    # Each killed replica was replaced: both replicas of every service run again.
    assert _replica_names(system) == running
    assert await _store_problems(system, history) == []
