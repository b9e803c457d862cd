"""A rebuild from the topic gives the reminders live traffic gave: an account's settings changes
are on their own partition, so the rules may read them before, between or after the triggers
they apply to. Wherever they land (and however the arrivals are cut into batches, with replays
kept in memory, in snapshots only, or not at all), the open reminders end the same as when
every change is read first, against real PostgreSQL.

FOLLOW_UP_DONE is left out: it completes what is due at its instant, and a completed reminder
never opens again, for a change dated back as for a late event (docs/domain.md).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_rules.main import MIGRATIONS
from crm_rules.service.replays import KeptReplays
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Account, Accounts, QuietHours
from crm_servicekit.db import apply_migrations, create_pool

from .history import T0, H, event, seeded, settings_changed
from .service_support import ACCOUNTS
from .settings_support import Store

FACTS = (
    "DM_STARTED",
    "MESSAGE_RECEIVED",
    "MESSAGE_SENT",
    "NO_SHOW",
    "VIDEO_SENT",
    "MEETING_BOOKED",
    "MEETING_HELD",
    "PURCHASED",
)
PATCHES: tuple[dict[str, Any], ...] = (
    {"reminders": {"follow_up_2h": {"delay": "PT1H"}}},
    {"reminders": {"follow_up_2h": {"enabled": False}}},
    {"reminders": {"follow_up_2h": {"enabled": True}}},
    {"reminders": {"follow_up_1d": {"message": "Offer two new times"}}},
    {"reminders": {"follow_up_2h": {"message": "Reach out today"}}},
    {"reminders": {"follow_up_48h": {"message": "Ask about the video"}}},
    {"reminders": {"follow_up_7d": {"message": "Say hello again"}}},
    {"reminders": {"follow_up_24h": {"enabled": False}}},
    {"reminders": {"follow_up_48h": {"delay": "PT30H"}}},
    {"reminders": {"follow_up_48h": {"enabled": False}}},
    {"reminders": {"follow_up_48h": {"enabled": True}}},
    {"reminders": {"follow_up_7d": {"delay": "P3D"}}},
    {"reminders": {"follow_up_7d": {"enabled": False}}},
    {"reminders": {"follow_up_7d": {"enabled": True}}},
    {"quiet_hours": ["20:00", "08:00"]},
    {"quiet_hours": None},
    {"dmo_targets": {"invites": 3}},
)


@dataclass(frozen=True)
class Scenario:
    facts: list[tuple[str, int]]  # (name, hours after T0), in the customer's arrival order
    changes: list[tuple[int, int]]  # (hours after T0, patch), in time order
    places: list[int]  # where each settings event lands among the customer's arrivals
    cuts: list[int]  # batch sizes of the mixed arrivals
    file_quiet: bool  # the accounts file had quiet hours (the seed says so too)
    cache: int = 10_000  # replays kept in memory (0: each batch continues from a snapshot)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    facts = draw(
        st.lists(st.tuples(st.sampled_from(FACTS), st.integers(0, 24 * 12)), min_size=1, max_size=8)
    )
    shuffled = draw(st.booleans())
    if not shuffled:
        facts = sorted(facts, key=lambda fact: fact[1])
    changes = sorted(
        draw(
            st.lists(
                st.tuples(st.integers(0, 24 * 12), st.integers(0, len(PATCHES) - 1)), max_size=3
            )
        ),
        key=lambda change: change[0],
    )
    # The seed and each change, in their partition's order (places never decrease): often
    # after every trigger, as a rebuild that reads the account's partition last does.
    count = len(changes) + 1
    anywhere = st.lists(st.integers(0, len(facts)), min_size=count, max_size=count).map(sorted)
    places = draw(st.one_of(st.just([len(facts)] * count), anywhere))
    cuts = draw(st.lists(st.integers(1, 3), min_size=len(facts) + len(changes) + 1))
    cache = draw(st.sampled_from([10_000, 0]))
    return Scenario(facts, changes, places, cuts, draw(st.booleans()), cache)


def arrivals(scenario: Scenario, account: Account, customer: uuid.UUID) -> tuple[
    list[EventEnvelope], list[EventEnvelope]
]:  # fmt: skip
    """The customer's events and the account's settings events, each in its partition's order."""
    facts = [
        event(
            name, T0 + hours * H, customer, account=account.account_id, event_id=f"f{n}-{customer}"
        )
        for n, (name, hours) in enumerate(scenario.facts)
    ]
    current = account.seed_settings()
    changes = [seeded(account)]
    for n, (hours, patch) in enumerate(scenario.changes):
        current = current.merged(PATCHES[patch])
        changes.append(
            settings_changed(
                T0 + hours * H, current, account=account.account_id, event_id=f"s{n}-{customer}"
            )
        )
    return facts, changes


def mixed(scenario: Scenario, facts: list[EventEnvelope], changes: list[EventEnvelope]) -> list[
    list[EventEnvelope]
]:  # fmt: skip
    """The two partitions read side by side as the scenario places them, cut into batches."""
    stream: list[EventEnvelope] = []
    pending = list(zip(scenario.places, changes, strict=True))
    for position, fact in enumerate([*facts, None]):
        while pending and pending[0][0] == position:
            stream.append(pending.pop(0)[1])
        if fact is not None:
            stream.append(fact)
    batches, start = [], 0
    for size in scenario.cuts:
        if start >= len(stream):
            break
        batches.append(stream[start : start + size])
        start += size
    return batches


async def run(dsns: tuple[str, str], scenario: Scenario) -> None:
    quiet = QuietHours(start="22:00", end="07:00") if scenario.file_quiet else None
    account = Account(account_id=f"orders-{uuid.uuid4().hex[:8]}", quiet_hours=quiet)
    accounts = Accounts([*ACCOUNTS, account])
    customer = uuid.uuid4()
    facts, changes = arrivals(scenario, account, customer)
    pools = [await create_pool(dsn, max_size=1) for dsn in dsns]
    try:
        as_mixed = Store(pools[0], accounts, KeptReplays(size=scenario.cache))
        changes_first = Store(pools[1], accounts, None)
        await as_mixed.apply(*mixed(scenario, facts, changes))
        await changes_first.apply(changes, *[[fact] for fact in facts])
        assert await as_mixed.open_reminders(customer) == await changes_first.open_reminders(
            customer
        )
    finally:
        for pool in pools:
            await pool.close()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenarios())
def test_changes_read_before_between_or_after_the_triggers_give_the_same_reminders(
    new_database: str, other_database: str, scenario: Scenario
) -> None:
    apply_migrations(new_database, MIGRATIONS)
    apply_migrations(other_database, MIGRATIONS)
    asyncio.run(run((new_database, other_database), scenario))


def test_a_change_read_after_its_triggers_ends_as_one_read_before_them(
    new_database: str, other_database: str
) -> None:
    """The brief's case, spelled out: a shorter follow_up_2h and a disabled follow_up_24h,
    read after the no-show and the video they apply to, or before them."""
    scenario = Scenario(
        facts=[("DM_STARTED", 0), ("NO_SHOW", 20), ("VIDEO_SENT", 30)],
        changes=[(10, 0), (12, 4)],
        places=[3, 3, 3],  # the seed and both changes after every fact
        cuts=[1, 1, 1, 1, 1, 1],
        file_quiet=False,
    )
    apply_migrations(new_database, MIGRATIONS)
    apply_migrations(other_database, MIGRATIONS)
    asyncio.run(run((new_database, other_database), scenario))
