"""The scheduler's backlog on rules' /metrics: reminders due and not announced yet, and how
late the oldest of them is, at the service's clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from crm_rules import repository as repo
from crm_rules.policy.reminder import Reminder
from crm_rules.scheduler import notify_due_once

from .history import T0, M, manual_reminder
from .kafka_io import eventually
from .service_support import running_rules


def reminder_at(minutes: int) -> Reminder:
    return manual_reminder(
        T0 + minutes * M, f"api-{uuid.uuid4().hex[:8]}", created_at=T0 - timedelta(days=1)
    )


async def backlog(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("crm_scheduler_") and sample.labels == {"service": "rules"}
    }


async def test_due_reminders_show_as_backlog_until_announced(
    new_database: str, kafka_bootstrap: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    # No scheduler of its own: the test runs its pass when it wants the backlog gone.
    async with running_rules(
        database=new_database,
        bootstrap=kafka_bootstrap,
        topic=new_topic(partitions=3),
        tmp=tmp_path,
        now=T0,
        scheduler=False,
        consumer_group=f"rules-{uuid.uuid4().hex[:12]}",
        metrics_refresh_interval_s=0.2,
    ) as rules:
        connection = await asyncpg.connect(new_database)
        try:
            # Two due (90 and 5 minutes ago), one not due yet.
            await repo.save_reminders(connection, [reminder_at(-90), reminder_at(-5)])
            await repo.save_reminders(connection, [reminder_at(30)])
        finally:
            await connection.close()
        due = {"crm_scheduler_backlog": 2.0, "crm_scheduler_oldest_due_late_seconds": 90 * 60.0}
        await eventually(lambda: backlog(rules.client), lambda found: found == due, within_s=60)
        pool = await asyncpg.create_pool(new_database, min_size=1, max_size=1)
        try:
            announced = await notify_due_once(pool, rules.clock, topic=rules.topic, batch=10)
        finally:
            await pool.close()
        assert announced == 2
        none = {"crm_scheduler_backlog": 0.0, "crm_scheduler_oldest_due_late_seconds": 0.0}
        await eventually(lambda: backlog(rules.client), lambda found: found == none, within_s=60)
