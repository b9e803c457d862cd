"""The rules service process: API, consumer, outbox relay and scheduler, wired once."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from crm_rules.api import reminders_router
from crm_rules.consumer import CONSUMED, accepts, handler
from crm_rules.scheduler import due_reminders, read_backlog
from crm_rules.settings import RulesSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.consumer import Fetching
from crm_servicekit.http import serve
from crm_servicekit.runtime import ServiceSpec, build_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def service_spec(settings: RulesSettings, *, scheduler: bool = True) -> ServiceSpec:
    return ServiceSpec(
        settings=settings,
        title="Frazer CRM rules",
        routers=[reminders_router(settings.events_topic)],
        migrations_dir=MIGRATIONS,
        handler=handler,
        wanted=CONSUMED,
        accepts=accepts,
        relay_outbox=True,
        background=[due_reminders(settings)] if scheduler else [],
        gauges=[read_backlog],
        # Its reminders are read by the minute and measured by the millisecond (accepted ->
        # reminder readable): a waiting fetch would add up to 250 ms to each, and the rules
        # skip most of the topic without a transaction, so big batches spare them little.
        fetching=Fetching.prompt(),
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


def run() -> None:
    settings = RulesSettings()
    serve(build_app(settings), settings)
