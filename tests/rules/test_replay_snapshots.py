"""Replays continued from the store's snapshots answer exactly as the whole history replayed.

The generated histories, batches, arrival orders, rollbacks and people's actions of
test_kept_replays, applied by consumers that keep nothing in memory (a cache of size 0: every
batch starts from the snapshot the batch before wrote, or from the history when its events do
not all go on top), beside one with the default cache and one that writes no snapshots (a
replica of an older version, whose writes leave the snapshots behind).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from crm_rules import repository as repo
from crm_rules.main import MIGRATIONS
from crm_rules.service import actions
from crm_rules.service.events import apply_events
from crm_rules.service.replays import KeptReplays
from crm_schemas.causes import Command
from crm_servicekit.accounts import Accounts
from crm_servicekit.db import apply_migrations, create_pool

from .history import T0, H
from .service_support import ACCOUNTS
from .test_kept_replays import TOPIC, Batch, Fact, envelope_of, run, scenarios

Scenario = tuple[str, list[Fact], list[Batch]]
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@EXAMPLES
@given(scenarios(replicas=2))
def test_snapshots_without_a_cache_answer_as_the_whole_history_replayed(
    new_database: str, other_database: str, scenario: Scenario
) -> None:
    apply_migrations(new_database, MIGRATIONS)
    apply_migrations(other_database, MIGRATIONS)
    replicas = [KeptReplays(size=0), KeptReplays(size=0)]
    asyncio.run(run((new_database, other_database), *scenario, replicas=replicas))


@EXAMPLES
@given(scenarios(replicas=3))
def test_snapshots_beside_a_cache_and_an_older_replica_answer_as_the_whole_history(
    new_database: str, other_database: str, scenario: Scenario
) -> None:
    apply_migrations(new_database, MIGRATIONS)
    apply_migrations(other_database, MIGRATIONS)
    replicas = [KeptReplays(size=0), KeptReplays(), None]
    asyncio.run(run((new_database, other_database), *scenario, replicas=replicas))


def test_a_consumer_without_a_cache_reads_the_history_only_when_it_must(
    new_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which batches read the customer's whole history, with nothing kept in memory: the
    first after one by an older version (no snapshot yet), a late event, the first after a
    person's action (the head moved on); not the events that go on top, nor a redelivery."""
    apply_migrations(new_database, MIGRATIONS)
    customer = uuid.uuid4()
    facts = [
        Fact("DM_STARTED", 0),
        Fact("MESSAGE_RECEIVED", 2),
        Fact("VIDEO_SENT", 10),
        Fact("MESSAGE_SENT", 5),  # late: before the video
        Fact("NO_SHOW", 30),
        Fact("MESSAGE_RECEIVED", 40),
        Fact("FOLLOW_UP_DONE", 50),
    ]
    sent = [envelope_of(fact, n, customer, "acme") for n, fact in enumerate(facts)]
    consumer = KeptReplays(size=0)
    read: list[Sequence[Any]] = []
    whole_history = repo.events_of_many

    async def spied(conn: Any, keys: Sequence[Any]) -> Any:
        read.append(keys)
        return await whole_history(conn, keys)

    monkeypatch.setattr(repo, "events_of_many", spied)

    async def scenario() -> list[bool]:
        pool = await create_pool(new_database, max_size=1)
        seen = []
        try:
            for kept, group, person in [
                (None, sent[0:1], False),  # an older version: no snapshot written
                (consumer, sent[1:2], False),
                (consumer, sent[2:3], False),
                (consumer, sent[3:4], False),
                (consumer, sent[4:6], False),
                (consumer, sent[4:5], True),  # a redelivery, then a person's action
                (consumer, sent[6:7], False),
            ]:
                read.clear()
                async with pool.acquire() as conn, conn.transaction():
                    await apply_events(
                        conn,
                        group,
                        accounts=Accounts(ACCOUNTS),
                        topic=TOPIC,
                        received_at=T0,
                        kept=kept,
                    )
                seen.append(bool(read))
                if person:
                    command = Command(
                        account_id="acme", actor_id="p", at=T0 + 45 * H, idempotency_key="k"
                    )
                    async with pool.acquire() as conn, conn.transaction():
                        at = T0 + 60 * H
                        await actions.create_manual(conn, command, customer, at, "x", topic=TOPIC)
        finally:
            await pool.close()
        return seen

    assert asyncio.run(scenario()) == [True, True, False, True, False, False, True]
