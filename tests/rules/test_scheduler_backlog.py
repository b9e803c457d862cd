"""The scheduler's backlog on rules' /metrics: reminders due and not announced yet, and how
late the oldest of them is, at the service's clock."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from crm_rules import repository as repo
from crm_rules.main import build_app
from crm_rules.policy.reminder import Reminder
from crm_rules.scheduler import notify_due_once
from crm_rules.settings import RulesSettings
from crm_schemas.system_properties import ReminderRule, ReminderType
from crm_servicekit.accounts import Account, Accounts, write_accounts_file
from crm_servicekit.clock import FixedClock

from .history import T0, M
from .kafka_io import eventually

ACCOUNTS = [Account(account_id="acme")]


def reminder_at(minutes: int) -> Reminder:
    return Reminder(
        id=uuid.uuid4(),
        account_id="acme",
        customer_id=uuid.uuid4(),
        type=ReminderType.CUSTOM,
        rule=ReminderRule.MANUAL,
        trigger_event_id=f"api-{uuid.uuid4().hex[:8]}",
        automated=False,
        scheduled_for=T0 + minutes * M,
        rule_scheduled_for=T0 + minutes * M,
        created_at=T0 - timedelta(days=1),
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
    new_database: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = RulesSettings(
        database_url=new_database,
        kafka_bootstrap_servers=kafka_bootstrap,
        accounts_file=write_accounts_file(tmp_path / "accounts.yaml", ACCOUNTS),
        environment="test",
        metrics_refresh_interval_s=0.2,
        consumer_group=f"rules-{uuid.uuid4().hex[:12]}",
    )
    clock = FixedClock(T0)
    # No scheduler of its own: the test runs its pass when it wants the backlog gone.
    app = build_app(settings, clock, Accounts(ACCOUNTS), scheduler=False)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://rules") as client,
    ):
        connection = await asyncpg.connect(new_database)
        try:
            # Two due (90 and 5 minutes ago), one not due yet.
            await repo.save_reminders(connection, [reminder_at(-90), reminder_at(-5)])
            await repo.save_reminders(connection, [reminder_at(30)])
        finally:
            await connection.close()
        due = {"crm_scheduler_backlog": 2.0, "crm_scheduler_oldest_due_late_seconds": 90 * 60.0}
        await eventually(lambda: backlog(client), lambda found: found == due, within_s=60)
        pool = await asyncpg.create_pool(new_database, min_size=1, max_size=1)
        try:
            announced = await notify_due_once(pool, clock, topic=settings.events_topic, batch=10)
        finally:
            await pool.close()
        assert announced == 2
        none = {"crm_scheduler_backlog": 0.0, "crm_scheduler_oldest_due_late_seconds": 0.0}
        await eventually(lambda: backlog(client), lambda found: found == none, within_s=60)
