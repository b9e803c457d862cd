"""The consumer runtime against real Kafka and PostgreSQL: exactly-once effects, DLQ, replay."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from outage_support import postgres_proxy

from crm_devstack.servers_for_tests import docker_answers
from crm_devstack.settings import StackConfig
from crm_devstack.stack import bring_down, bring_up
from crm_devstack.topics import delete_topics
from crm_schemas.topics import message_headers
from crm_servicekit.dlq_resolutions import resolutions_topic
from crm_servicekit.dlq_tool import read_letters
from crm_servicekit.kafka import OutgoingRecord

from .kafka_support import (
    ConsumerProcess,
    committed_everything,
    eventually,
    message_sent,
    produce,
    records_for,
)

pytestmark = pytest.mark.integration


async def effect_counts(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        exists = await conn.fetchval("SELECT to_regclass('effects') IS NOT NULL")
        if not exists:
            return (0, 0)
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM effects"
        )
        assert row is not None
        return (row["n"], row["d"])
    finally:
        await conn.close()


async def test_killed_mid_batch_then_restarted_applies_every_event_once(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str]
) -> None:
    topic, dlq = new_topic(partitions=3), new_topic(partitions=1)
    group = f"effects-{uuid.uuid4().hex[:8]}"
    customers = [uuid.uuid4() for _ in range(20)]
    events = [message_sent(c, n) for n in range(100) for c in customers]  # 2,000 distinct
    repeated = [events[7]] * 9  # the same event delivered 10 times in all
    app = ConsumerProcess(new_database, kafka_bootstrap, topic, group, dlq)
    slow = ("--max-records", "50", "--work-s", "0.1")
    await app.start(*slow)
    try:
        await produce(kafka_bootstrap, records_for(events + repeated, topic))
        # Kill once some, not all, of the work is done, most likely inside a transaction.
        at_kill = await eventually(
            lambda: effect_counts(new_database), lambda c: c[0] >= 300, interval=0.02
        )
        await app.kill()
        assert at_kill[0] < len(events)
        await app.start(*slow)
        await eventually(lambda: committed_everything(kafka_bootstrap, topic, group), bool)
        assert await effect_counts(new_database) == (len(events), len(events))
    finally:
        await app.stop()
    conn = await asyncpg.connect(new_database)
    try:
        processed = await conn.fetchval("SELECT count(*) FROM processed_events")
    finally:
        await conn.close()
    assert processed == len(events)


async def run_crm(*args: str) -> str:
    """The `crm` command as an operator runs it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crm_servicekit.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "300"},
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, out
    return out.decode()


async def test_invalid_payload_is_dead_lettered_and_the_partition_goes_on(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic, dlq = new_topic(partitions=1), new_topic(partitions=1)
    group = f"effects-{uuid.uuid4().hex[:8]}"
    customer = uuid.uuid4()
    before, after = message_sent(customer, 1), message_sent(customer, 3)
    broken = message_sent(customer, 2)
    payload = json.loads(broken.to_json())
    del payload["properties"]["channel"]  # MESSAGE_SENT requires a channel
    bad = OutgoingRecord(
        topic=topic,
        key=broken.kafka_key,
        value=json.dumps(payload).encode(),
        headers=message_headers("MESSAGE_SENT", "acme", broken.event_id),
    )
    app = ConsumerProcess(new_database, kafka_bootstrap, topic, group, dlq)
    await app.start()
    try:
        await produce(
            kafka_bootstrap, [*records_for([before], topic), bad, *records_for([after], topic)]
        )
        await eventually(lambda: committed_everything(kafka_bootstrap, topic, group), bool)
        assert await effect_counts(new_database) == (2, 2)

        letters = await read_letters(kafka_bootstrap, dlq)
        assert [letter.event_id for letter in letters] == [broken.event_id]
        letter = letters[0]
        assert letter.kind == "invalid_payload"
        assert "channel" in letter.reason
        assert letter.source == f"{topic}[0]@1"
        assert letter.consumer_group == group

        # The fixed event comes back through the replay command and is applied once, even if
        # replayed twice.
        fixed = tmp_path / "fixed.json"
        fixed.write_bytes(broken.to_json())
        for _ in range(2):
            await run_crm(
                "dlq",
                "replay",
                "--event-id",
                broken.event_id,
                "--value-file",
                str(fixed),
                "--bootstrap",
                kafka_bootstrap,
                "--topic",
                dlq,
            )
        listing = await run_crm("dlq", "list", "--bootstrap", kafka_bootstrap, "--topic", dlq)
        assert broken.event_id in listing
        await eventually(lambda: effect_counts(new_database), lambda c: c == (3, 3))
        await eventually(lambda: committed_everything(kafka_bootstrap, topic, group), bool)
        assert await effect_counts(new_database) == (3, 3)
    finally:
        await app.stop()
        # The replay marked the letter replayed, on the marks' topic it created.
        await delete_topics(kafka_bootstrap, [resolutions_topic(dlq)])


async def test_a_handler_bug_dead_letters_only_the_culprit(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str]
) -> None:
    topic, dlq = new_topic(partitions=1), new_topic(partitions=1)
    group = f"effects-{uuid.uuid4().hex[:8]}"
    customer = uuid.uuid4()
    events = [message_sent(customer, n) for n in range(20)]
    culprit = events[11].event_id
    app = ConsumerProcess(new_database, kafka_bootstrap, topic, group, dlq)
    await app.start("--fail-on", culprit)
    try:
        await produce(kafka_bootstrap, records_for(events, topic))
        await eventually(lambda: committed_everything(kafka_bootstrap, topic, group), bool)
        assert await effect_counts(new_database) == (19, 19)
        letters = await read_letters(kafka_bootstrap, dlq)
        assert [letter.event_id for letter in letters] == [culprit]
        assert letters[0].kind == "handler_error"
        assert "Traceback" in letters[0].reason
        assert f"bug triggered by {culprit}" in letters[0].reason
        assert int(letters[0].delivery.decoded_headers["dlq_attempts"]) >= 3
    finally:
        await app.stop()


@pytest.fixture
def launcher_postgres() -> StackConfig:
    """The launcher's PostgreSQL, which this test may stop; skipped for a server not ours."""
    if os.environ.get("DATABASE_URL") or docker_answers():
        pytest.skip("the PostgreSQL server is not the local launcher's, so it is not ours to stop")
    return StackConfig.from_env()


async def test_postgres_down_for_10s_loses_nothing_and_dead_letters_nothing(
    kafka_bootstrap: str,
    new_database: str,
    new_topic: Callable[..., str],
    launcher_postgres: StackConfig,
) -> None:
    topic, dlq = new_topic(partitions=3), new_topic(partitions=1)
    group = f"effects-{uuid.uuid4().hex[:8]}"
    customers = [uuid.uuid4() for _ in range(10)]
    first = [message_sent(c, n) for n in range(20) for c in customers]
    during = [message_sent(c, n) for n in range(20, 60) for c in customers]
    app = ConsumerProcess(new_database, kafka_bootstrap, topic, group, dlq)
    await app.start("--max-records", "50")
    try:
        await produce(kafka_bootstrap, records_for(first, topic))
        await eventually(lambda: effect_counts(new_database), lambda c: c[0] == len(first))
        await bring_down(launcher_postgres, ["postgres"])
        try:
            await produce(kafka_bootstrap, records_for(during, topic))
            await asyncio.sleep(10)  # the outage itself: events keep flowing while it lasts
        finally:
            await bring_up(launcher_postgres, ["postgres"])
        total = len(first) + len(during)
        await eventually(lambda: effect_counts(new_database), lambda c: c[0] >= total)
        await eventually(lambda: committed_everything(kafka_bootstrap, topic, group), bool)
        assert await effect_counts(new_database) == (total, total)
        assert await read_letters(kafka_bootstrap, dlq) == []
    finally:
        await app.stop()


async def test_postgres_refused_mid_stream_is_waited_out_and_each_event_applied_once(
    kafka_bootstrap: str, new_database: str, new_topic: Callable[..., str]
) -> None:
    topic, dlq = new_topic(partitions=3), new_topic(partitions=1)
    group = f"effects-{uuid.uuid4().hex[:8]}"
    customers = [uuid.uuid4() for _ in range(10)]
    before = [message_sent(c, n) for n in range(20) for c in customers]
    during = [message_sent(c, n) for n in range(20, 60) for c in customers]
    with postgres_proxy(new_database) as (proxy, through_proxy):
        app = ConsumerProcess(through_proxy, kafka_bootstrap, topic, group, dlq)
        # Slow batches, so that the outage finds one inside its transaction.
        await app.start("--max-records", "50", "--work-s", "0.05")
        try:
            await produce(kafka_bootstrap, records_for(before, topic))
            await eventually(
                lambda: effect_counts(new_database), lambda c: c[0] >= 50, interval=0.02
            )
            await asyncio.to_thread(proxy.refuse)
            try:
                await produce(kafka_bootstrap, records_for(during, topic))
                await app.printed("transient error; batch held")
            finally:
                await asyncio.to_thread(proxy.restore)
            total = len(before) + len(during)
            await eventually(lambda: committed_everything(kafka_bootstrap, topic, group), bool)
            assert await effect_counts(new_database) == (total, total)
            assert await read_letters(kafka_bootstrap, dlq) == []
        finally:
            await app.stop()
