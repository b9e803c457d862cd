"""The chaos suite through the whole system: a backtest while customers, rules, nba, stats,
ingest, Kafka, PostgreSQL and Redis are each killed (SIGKILL) mid-replay and restarted as
`make up` does. Zero mismatches, no 500 answered, nothing dead-lettered, every piece back.

It kills the servers every other test uses, so the conftest runs it after all of them; it
leaves every piece running and answering. The per-piece table is printed (`pytest -rP`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_backtest.accounts import BACKTEST_ACCOUNT_IDS, load_profiles
from crm_backtest.generator import generate

from .chaos_support import clean_chaos_run
from .conftest import System
from .e2e_support import SERVICES_INSTALLED

# About 480 deliveries at 3 a second: stretches of ~20 s, about what a kill and a restart
# take on two busy cores, and the whole run short enough for CI (about four minutes).
CONTACTS = 110
RATE = 3.0

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.chaos,
    SERVICES_INSTALLED,
    pytest.mark.timeout(900),
]


async def test_each_piece_killed_mid_replay_recovers_with_zero_mismatches_and_no_500(
    system: System, tmp_path: Path
) -> None:
    profiles = load_profiles(system.state_dir / "accounts.json", list(BACKTEST_ACCOUNT_IDS))
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    history = generate(CONTACTS, seed=23, anchor=anchor, accounts=profiles)
    await clean_chaos_run(system, history, tmp_path / "chaos.json", rate=RATE, catch_up_s=120)
