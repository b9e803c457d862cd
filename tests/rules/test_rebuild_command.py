"""`crm rebuild --service rules` against a rules service of the test's own: refused while it
runs, and after it the restarted service's reminders table is the one it had before."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from crm_devstack.databases import create_database, drop_database
from crm_devstack.topics import TopicSpec, create_topics, delete_topics
from crm_rules.main import MIGRATIONS as RULES_MIGRATIONS
from crm_servicekit.cli import app
from crm_servicekit.consumer_groups import GroupOffsets, Progress
from crm_servicekit.db import apply_migrations_in_thread, plain_postgres_dsn
from crm_servicekit.rebuild import RebuildRefused, RebuildTarget, reset_store, wait_caught_up

from .history import T0, D, H, event
from .kafka_io import eventually
from .service_support import running_rules
from .test_rebuild import act, by_type, outbox_sent


@dataclass(frozen=True)
class Setup:
    database: str
    topic: str
    group: str
    target: RebuildTarget


@pytest.fixture
async def setup(postgres_url: str, kafka_bootstrap: str) -> AsyncIterator[Setup]:
    name = f"rules_{uuid.uuid4().hex[:12]}"
    database = await create_database(postgres_url, name)
    topic = f"rules-rebuild-cmd-{uuid.uuid4().hex[:12]}"
    await create_topics(kafka_bootstrap, [TopicSpec(topic, 3, {})])
    group = f"rules-{uuid.uuid4().hex[:8]}"
    target = RebuildTarget("rules", database, kafka_bootstrap, topic, group)
    try:
        yield Setup(database, topic, group, target)
    finally:
        await delete_topics(kafka_bootstrap, [topic])
        await drop_database(postgres_url, name)


async def reminders_table(dsn: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(plain_postgres_dsn(dsn))
    try:
        rows = await conn.fetch("SELECT * FROM reminders ORDER BY account_id, id")
    finally:
        await conn.close()
    return [dict(row) for row in rows]


def rules_run(setup: Setup, tmp: Path) -> dict[str, Any]:
    """running_rules' arguments for the setup's rules service, its clock at T0 + 2h."""
    return {"database": setup.database, "bootstrap": setup.target.bootstrap,
            "topic": setup.topic, "tmp": tmp, "now": T0 + 2 * H,
            "consumer_group": setup.group}  # fmt: skip


async def until_caught_up(setup: Setup) -> None:
    """Until the group has committed the topic's ends as they are now."""
    async with GroupOffsets(setup.target.bootstrap, setup.topic, setup.group) as group:
        ends = await group.ends()
        await eventually(lambda: group.progress(ends), lambda p: p.caught_up)


def test_ingest_is_refused_naming_what_the_topic_cannot_give_back() -> None:
    result = CliRunner().invoke(
        app, ["rebuild", "--service", "ingest", "--database-url", "postgresql://x@h/p", "--yes"]
    )
    assert result.exit_code == 2
    assert "identities" in result.output
    assert "de-duplication" in result.output


async def test_a_running_service_is_refused_and_nothing_changes(
    setup: Setup, kafka_bootstrap: str, tmp_path: Path
) -> None:
    c = uuid.uuid4()
    async with running_rules(
        database=setup.database, bootstrap=kafka_bootstrap, topic=setup.topic, tmp=tmp_path,
        now=T0, consumer_group=setup.group,
    ) as live:  # fmt: skip
        await live.send([event("DM_STARTED", T0, c)])
        await live.settled(c, lambda rs: len(rs) == 1)
        before = await reminders_table(setup.database)
        async with GroupOffsets(kafka_bootstrap, setup.topic, setup.group) as group:
            committed = await eventually(group.committed, bool)
            with pytest.raises(RebuildRefused, match="active member"):
                await reset_store(setup.target)
            as_operator = await asyncio.to_thread(
                CliRunner().invoke,
                app,
                ["rebuild", "--service", "rules", "--database-url", setup.database,
                 "--database", setup.database.rsplit("/", 1)[1], "--group", setup.group,
                 "--bootstrap", kafka_bootstrap, "--topic", setup.topic, "--yes"],
                env={"COLUMNS": "300"},
            )  # fmt: skip
            assert as_operator.exit_code == 1, as_operator.output
            assert "active member" in as_operator.output
            assert "crm-devstack system stop rules" in as_operator.output
            assert await group.committed() == committed
        assert await reminders_table(setup.database) == before
        assert len(before) == 1


async def test_the_rebuilt_reminders_table_equals_the_one_before(
    setup: Setup, tmp_path: Path
) -> None:
    customers = [uuid.uuid4() for _ in range(3)]
    run = rules_run(setup, tmp_path)
    async with running_rules(**run) as live:  # type: ignore[arg-type]
        for c in customers:
            await live.send([event("DM_STARTED", T0, c), event("VIDEO_SENT", T0 + H, c)])
        made = by_type(await live.settled(customers[0], lambda rs: len(rs) == 3))
        await act(live, "POST", f"/{made['follow_up_24h']['id']}/complete")
        snooze = f"/{made['follow_up_48h']['id']}/snooze"
        await act(live, "POST", snooze, until="2026-11-06T09:00:00Z")
        await act(live, "POST", "", customer_id=str(customers[1]), type="custom",
                  scheduled_for=(T0 + 2 * D).isoformat(), message="Call")  # fmt: skip
        await eventually(lambda: outbox_sent(setup.database), bool)
        for c in customers[1:]:
            await live.settled(c, lambda rs: len(rs) >= 3)
        # The person's announcements are read back once the group committed the topic's end.
        await until_caught_up(setup)
    before = await reminders_table(setup.database)
    assert {r["status"] for r in before} == {"open", "completed"}

    reset = await reset_store(setup.target)
    assert "public.reminders" in reset.tables
    assert await reminders_table(setup.database) == []

    async with running_rules(**run):  # type: ignore[arg-type]
        seen: list[Progress] = []
        caught_up = await wait_caught_up(
            setup.target, reset.ends, timeout_s=120, on_progress=seen.append
        )
        assert caught_up.caught_up
        assert caught_up.done == sum(reset.ends.values())
        assert seen
        after = await reminders_table(setup.database)
    assert after == before


async def wait_only(setup: Setup, limit: str) -> tuple[int, str]:
    """`crm rebuild --wait-only` as an operator runs it after the reset (exit code, output)."""
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["rebuild", "--service", "rules", "--database-url", setup.database,
         "--database", setup.database.rsplit("/", 1)[1], "--group", setup.group,
         "--bootstrap", setup.target.bootstrap, "--topic", setup.topic, "--wait-only",
         "--timeout", limit],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    return result.exit_code, result.output


async def test_wait_only_waits_for_every_event_the_rebuild_found_on_the_topic(
    setup: Setup, tmp_path: Path
) -> None:
    run = rules_run(setup, tmp_path)
    customers = [uuid.uuid4() for _ in range(4)]
    async with running_rules(**run) as live:  # type: ignore[arg-type]
        await live.send(
            [
                e
                for c in customers
                for e in (event("DM_STARTED", T0, c), event("VIDEO_SENT", T0 + H, c))
            ]
        )
        for c in customers:
            await live.settled(c, lambda rs: len(rs) == 3)
        await until_caught_up(setup)
    before = await reminders_table(setup.database)
    reset = await reset_store(setup.target)
    recorded = sum(reset.ends.values())
    assert recorded >= 2 * len(customers)

    # The service is not started yet: nothing of what the rebuild found counts as replayed.
    code, output = await wait_only(setup, "0s")
    assert code == 1, output
    assert f"has {recorded} event(s) left to replay" in output
    assert "caught up with" not in output

    async with running_rules(**run):  # type: ignore[arg-type]
        code, output = await wait_only(setup, "120s")
        assert code == 0, output
        assert f"rules: caught up with {setup.topic}" in output
        # Caught up means applied: the table is whole at once, with nothing more to wait for.
        assert await reminders_table(setup.database) == before


async def test_another_session_or_an_unsent_outbox_is_refused_and_nothing_changes(
    setup: Setup,
) -> None:
    await apply_migrations_in_thread(setup.database, RULES_MIGRATIONS)
    conn = await asyncpg.connect(plain_postgres_dsn(setup.database))
    try:
        with pytest.raises(RebuildRefused, match="other session"):
            await reset_store(setup.target)
        await conn.execute(
            "INSERT INTO outbox (account_id, event_id, event_name, topic, key, value)"
            " VALUES ('acme', 'e-1', 'REMINDER_COMPLETED', $1, NULL, '{}')",
            setup.topic,
        )
    finally:
        await conn.close()
    with pytest.raises(RebuildRefused, match="outbox holds 1 event"):
        await reset_store(setup.target)
    conn = await asyncpg.connect(plain_postgres_dsn(setup.database))
    try:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
    finally:
        await conn.close()
