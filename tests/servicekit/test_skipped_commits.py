"""Offsets of batches with nothing for the service wait for a later commit, up to a delay."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import pytest
from aiokafka.errors import CommitFailedError
from faststream.kafka import KafkaBroker

from crm_schemas.catalog import EventName
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.batch_apply import BatchApplier, BatchOutcome
from crm_servicekit.connection import Conn
from crm_servicekit.consumer import Fetching, register_consumer
from crm_servicekit.db import SERVICEKIT_MIGRATIONS, apply_migrations, create_pool
from crm_servicekit.dlq import DeadLetter
from crm_servicekit.skipped_commits import SkippedCommits

from .kafka_support import committed_everything, eventually, message_sent, produce, records_for


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Consumer:
    def __init__(self, fails: bool = False) -> None:
        self.commits = 0
        self.fails = fails

    async def commit(self) -> None:
        if self.fails:
            raise CommitFailedError("rebalanced")
        self.commits += 1


def test_a_batch_changed_nothing_only_when_it_had_no_transaction_and_no_dead_letter() -> None:
    assert BatchOutcome(skipped=3).changed_nothing
    assert not BatchOutcome(skipped=3, transacted=True).changed_nothing
    letter = object()
    assert not BatchOutcome(dead_lettered=[letter]).changed_nothing  # type: ignore[list-item]


async def test_skipped_batches_wait_up_to_the_delay_then_commit() -> None:
    clock, consumer = _Clock(), _Consumer()
    commits = SkippedCommits(delay_s=1.0, clock=clock)
    assert not commits.may_wait(consumer)  # never committed: this one is committed
    commits.committed(consumer)
    clock.now += 0.4
    assert commits.may_wait(consumer)
    clock.now += 0.5
    assert commits.may_wait(consumer)
    clock.now += 0.2  # 1.1 s since the last commit
    assert not commits.may_wait(consumer)


async def test_an_empty_poll_commits_what_waits_and_only_then() -> None:
    clock, consumer = _Clock(), _Consumer()
    commits = SkippedCommits(delay_s=1.0, clock=clock)
    await commits.commit_waiting(consumer)
    assert consumer.commits == 0  # nothing waited
    commits.committed(consumer)
    assert commits.may_wait(consumer)
    await commits.commit_waiting(consumer)
    await commits.commit_waiting(consumer)
    assert consumer.commits == 1
    assert commits.may_wait(consumer)  # the empty poll's commit counts as the last one


async def test_a_commit_a_rebalance_refused_is_given_up_not_raised() -> None:
    clock, consumer = _Clock(), _Consumer(fails=True)
    commits = SkippedCommits(delay_s=1.0, clock=clock)
    commits.committed(consumer)
    assert commits.may_wait(consumer)
    await commits.commit_waiting(consumer)
    consumer.fails = False
    await commits.commit_waiting(consumer)
    assert consumer.commits == 0


@pytest.mark.integration
async def test_a_stream_of_skipped_batches_ends_committed(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str]
) -> None:
    # The batches after the one applied event hold nothing this consumer wants: their offsets
    # wait, and are committed once the consumer polls and finds nothing more.
    topic = new_topic(partitions=3)
    group = f"skipping-{uuid.uuid4().hex[:8]}"
    apply_migrations(new_database, SERVICEKIT_MIGRATIONS)
    pool = await create_pool(new_database)
    applied: list[str] = []

    async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
        applied.extend(e.event_id for e in events)

    async def no_letters(letters: list[DeadLetter]) -> None:
        raise AssertionError(f"unexpected dead letters: {letters}")

    applier = BatchApplier(pool, handle, "skipping", group, no_letters, frozenset({"VIDEO_SENT"}))
    broker = KafkaBroker(kafka_bootstrap, logger=None)
    register_consumer(broker, applier, topic=topic, fetching=Fetching(batch_timeout_ms=100))
    wanted = message_sent(uuid.uuid4(), 0).model_copy(update={"event_name": EventName.VIDEO_SENT})
    await broker.start()
    try:
        await produce(kafka_bootstrap, records_for([wanted], topic))
        await eventually(lambda: _applied(applied), bool)
        for round_ in range(5):
            skipped = [message_sent(uuid.uuid4(), 10 * round_ + n) for n in range(10)]
            await produce(kafka_bootstrap, records_for(skipped, topic))
        assert await eventually(lambda: committed_everything(kafka_bootstrap, topic, group), bool)
    finally:
        await broker.stop()
        await pool.close()
    assert applied == [wanted.event_id]


async def _applied(applied: list[str]) -> list[str]:
    return applied
