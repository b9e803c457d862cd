"""The rules service process: API, consumer, outbox relay and scheduler, wired once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from crm_rules.api import reminders_router
from crm_rules.scheduler import run_scheduler
from crm_rules.service import CONSUMED, apply_events, takes
from crm_rules.settings import RulesSettings
from crm_schemas.envelope import EventEnvelope
from crm_servicekit.accounts import Accounts
from crm_servicekit.batch_apply import BatchHandler
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.connection import Conn
from crm_servicekit.http import serve
from crm_servicekit.runtime import Resources, ServiceSpec, build_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def service_spec(settings: RulesSettings, *, scheduler: bool = True) -> ServiceSpec:
    topic = settings.events_topic

    def handler(res: Resources) -> BatchHandler:
        async def handle(conn: Conn, events: Sequence[EventEnvelope]) -> None:
            await apply_events(
                conn, events, accounts=res.accounts, topic=topic, received_at=res.clock.now()
            )

        return handle

    async def due_reminders(res: Resources) -> None:
        await run_scheduler(
            res.pool,
            res.clock,
            res.stop,
            topic=topic,
            batch=settings.scheduler_batch,
            interval_s=settings.scheduler_interval_s,
        )

    return ServiceSpec(
        settings=settings,
        title="Frazer CRM rules",
        routers=[reminders_router(topic)],
        migrations_dir=MIGRATIONS,
        handler=handler,
        wanted=CONSUMED,
        accepts=takes,
        topic=topic,
        relay_outbox=True,
        background=[due_reminders] if scheduler else [],
    )


def build_app(
    settings: RulesSettings,
    clock: Clock = SYSTEM_CLOCK,
    accounts: Accounts | None = None,
    *,
    scheduler: bool = True,
) -> FastAPI:
    return build_service_app(
        service_spec(settings, scheduler=scheduler), clock=clock, accounts=accounts
    )


app_factory = build_app


def run() -> None:
    settings = RulesSettings()
    serve(build_app(settings), settings)
