"""Rebuilding a service's store from the topic: `crm rebuild --service S`.

The service must be stopped. Its consumer group is moved back to the topic's beginning and its
tables are emptied (the schema and the migration records stay, so nothing has to be created
again and grants stay as they were); started again, the service replays the whole topic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from crm_servicekit.consumer_groups import GroupOffsets, Progress
from crm_servicekit.db import plain_postgres_dsn
from crm_servicekit.outbox import unsent_backlog

REBUILDABLE = ("customers", "rules", "nba", "stats")
NOT_REBUILDABLE = {
    "ingest": (
        "ingest cannot be rebuilt from the topic: its store holds the identities (which handle, "
        "email or phone is which customer) and the de-duplication records of every accepted "
        "event id, and no event carries them. Restore ingest's database from a backup "
        "instead (docs/runbook.md, 'Backups')."
    ),
}
# yoyo's own bookkeeping: kept, so the service's start finds its migrations applied.
MIGRATION_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock")
LOOK_EVERY_S = 1.0

_OTHER_SESSIONS = """
SELECT coalesce(nullif(application_name, ''), '?') AS application,
       coalesce(host(client_addr), 'local') AS client, pid
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""
_STORE_TABLES = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND NOT tablename = ANY($1::text[])
ORDER BY 1
"""


class RebuildRefused(Exception):
    """Nothing was changed; the message says why and what to do."""


@dataclass(frozen=True)
class RebuildTarget:
    service: str
    database_url: str  # the service's own database
    bootstrap: str
    topic: str
    group: str


@dataclass(frozen=True)
class Reset:
    ends: dict[TopicPartition, int]  # the topic's ends when the rebuild began: caught up there
    tables: list[str]


def refusal_of(service: str) -> str | None:
    """Why a service cannot be rebuilt by this command, or None when it can."""
    if service in NOT_REBUILDABLE:
        return NOT_REBUILDABLE[service]
    if service not in REBUILDABLE:
        return f"unknown service {service!r}; one of: {', '.join(REBUILDABLE)}"
    return None


async def reset_store(target: RebuildTarget) -> Reset:
    """Check the service is stopped, move its group to the topic's beginning, empty its tables.

    The group moves first: should emptying the tables then fail, the service would replay onto
    its full store, which de-duplication by event id makes harmless, whereas an emptied store
    with the group where it was would silently lack the history.
    """
    if why := refusal_of(target.service):
        raise RebuildRefused(why)
    conn = await asyncpg.connect(plain_postgres_dsn(target.database_url))
    try:
        async with GroupOffsets(target.bootstrap, target.topic, target.group) as group:
            await _refuse_while_running(group, conn, target)
            ends = await group.ends()
            try:
                await group.rewind()
            except (CommitFailedError, KafkaError) as error:
                raise RebuildRefused(
                    f"the broker refused to move group {target.group!r} "
                    f"({type(error).__name__}): a member "
                    f"joined meanwhile; {_stop_hint(target.service)}"
                ) from error
        tables = await _empty_tables(conn, target)
    finally:
        await conn.close()
    return Reset(ends=ends, tables=tables)


async def _refuse_while_running(
    group: GroupOffsets, conn: asyncpg.Connection, target: RebuildTarget
) -> None:
    members = await group.members()
    if members:
        hosts = ", ".join(sorted({f"{m.client_id}@{m.host}" for m in members}))
        raise RebuildRefused(
            f"consumer group {target.group!r} has {len(members)} active member(s) ({hosts}): "
            f"{target.service} is running. {_stop_hint(target.service)}, then run this again."
        )
    sessions = await conn.fetch(_OTHER_SESSIONS)
    if sessions:
        who = ", ".join(f"{s['application']} from {s['client']} (pid {s['pid']})" for s in sessions)
        raise RebuildRefused(
            f"{len(sessions)} other session(s) are connected to {target.service}'s database: "
            f"{who}. {_stop_hint(target.service)} and close other sessions, then run this again."
        )
    if await conn.fetchval("SELECT to_regclass('outbox') IS NOT NULL"):
        unsent = (await unsent_backlog(conn)).rows
        if unsent:
            raise RebuildRefused(
                f"{target.service}'s outbox holds {unsent} event(s) not yet on the topic (a "
                "person's actions among them, which only the topic can give back): start "
                f"{target.service} until its outbox is sent, stop it, then run this again."
            )


async def _empty_tables(conn: asyncpg.Connection, target: RebuildTarget) -> list[str]:
    async with conn.transaction():
        # A session that appeared since the check holds locks on the tables: fail, not wait.
        await conn.execute("SET LOCAL lock_timeout = '5s'")
        tables: list[str] = [
            row[0] for row in await conn.fetch(_STORE_TABLES, list(MIGRATION_TABLES))
        ]
        if tables:
            await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    return tables


def _stop_hint(service: str) -> str:
    return (
        f"Stop every replica of {service} first (locally `uv run crm-devstack system stop "
        f"{service}`; compose `docker compose -f deploy/compose.yaml stop {service}`; "
        f"Kubernetes `kubectl -n crm annotate scaledobject/{service} "
        'autoscaling.keda.sh/paused-replicas="0"`; docs/runbook.md)'
    )


async def wait_caught_up(
    target: RebuildTarget,
    ends: Mapping[TopicPartition, int],
    *,
    timeout_s: float,
    on_progress: Callable[[Progress], None] = lambda _: None,
) -> Progress:
    """Poll the group's committed offsets until they reach `ends`; TimeoutError if not within
    timeout_s. A service commits a batch only once it is applied, so reaching them means every
    event that was on the topic when the rebuild began is in the store again."""
    deadline = time.monotonic() + timeout_s
    async with GroupOffsets(target.bootstrap, target.topic, target.group) as group:
        while True:
            progress = await group.progress(ends)
            on_progress(progress)
            if progress.caught_up:
                return progress
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{target.service} has {progress.remaining} event(s) left to replay after "
                    f"{timeout_s:.0f}s; is it running? (run the wait again with --wait-only)"
                )
            await asyncio.sleep(LOOK_EVERY_S)
