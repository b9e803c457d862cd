"""What the stats benchmark's parts share: the servers, a scratch database and topic, the
service's app pointed at them, and the figures' output."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.clock import FixedClock
from crm_servicekit.gc_tuning import freeze_startup_heap
from crm_stats.main import build_app
from crm_stats.settings import StatsSettings

AS_OF = datetime(2026, 11, 2, 12, tzinfo=UTC)
SECRET = "bench-jwt-secret-4f0c2a9e7b1d3c5e8a6f"


def report(line: str, *, file: Any = sys.stdout) -> None:
    """The benchmark's output is its figures, on stdout (progress on stderr)."""
    file.write(line + "\n")
    file.flush()


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered)) - 1))]


async def servers() -> tuple[str, str, str]:
    env = os.environ
    if all(k in env for k in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "REDIS_URL")):
        return env["KAFKA_BOOTSTRAP_SERVERS"], env["DATABASE_URL"], env["REDIS_URL"]
    from crm_devstack.stack import ensure_up_async

    found = await ensure_up_async(names=["kafka", "postgres", "redis"])
    return found.kafka_bootstrap, found.postgres_url, found.redis_url


@contextlib.asynccontextmanager
async def scratch(kafka: str, postgres: str) -> AsyncIterator[tuple[str, str]]:
    """A fresh database and a fresh 12-partition topic, removed afterwards."""
    from crm_devstack.databases import create_database, drop_database
    from crm_devstack.topics import TopicSpec, create_topics, delete_topics

    name = f"bench_stats_{uuid.uuid4().hex[:8]}"
    topic = name.replace("_", "-")
    await create_topics(kafka, [TopicSpec(topic, 12, {})])
    dsn = await create_database(postgres, name)
    try:
        yield dsn, topic
    finally:
        await drop_database(postgres, name)
        await delete_topics(kafka, [topic])


def app_for(account: str, dsn: str, kafka: str, redis: str, topic: str) -> Any:
    settings = StatsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=kafka,
        redis_url=redis,
        jwt_secret=SECRET,
        events_topic=topic,
        consumer_group=f"stats-bench-{uuid.uuid4().hex[:8]}",  # never the running system's group
        db_pool_max_size=4,
    )
    accounts = Accounts([Account(account_id=account, time_zone="Europe/Oslo")])
    app = build_app(settings, clock=FixedClock(AS_OF), accounts=accounts)
    freeze_startup_heap()  # as serve() does before it runs a service
    return app
