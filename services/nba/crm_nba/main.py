"""Wires the NBA service: API, consumer, outbox relay and timer in one process."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from crm_nba.announce import Outlet
from crm_nba.api import router
from crm_nba.consumer import CONSUMED, handler
from crm_nba.settings import NbaSettings
from crm_nba.timer import timer_loop
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.http import serve
from crm_servicekit.runtime import ServiceSpec, build_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(
    settings: NbaSettings, clock: Clock = SYSTEM_CLOCK, accounts: Accounts | None = None
) -> FastAPI:
    spec = ServiceSpec(
        settings=settings,
        title="Frazer CRM - next best action",
        routers=[router],
        migrations_dir=MIGRATIONS,
        handler=handler,
        wanted=CONSUMED,
        relay_outbox=True,
        background=[timer_loop(settings.timer_interval_s)],
        wire=lambda res: Outlet(res.accounts, res.settings.events_topic),
    )
    return build_service_app(spec, clock=clock, accounts=accounts)


def run() -> None:
    settings = NbaSettings()
    serve(build_app(settings), settings)
