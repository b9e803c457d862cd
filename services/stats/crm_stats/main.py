"""The stats service: consumer of every event, the dashboard API, the event log and ticker."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.consumer import Fetching
from crm_servicekit.http import serve
from crm_servicekit.runtime import ServiceSpec, build_service_app
from crm_stats import consumer
from crm_stats.api import ROUTERS
from crm_stats.settings import StatsSettings
from crm_stats.ticker_stream import run_ticker_relay

MIGRATIONS = Path(__file__).parent / "migrations"


def service_spec(settings: StatsSettings) -> ServiceSpec:
    return ServiceSpec(
        settings=settings,
        title="stats",
        routers=ROUTERS,
        migrations_dir=MIGRATIONS,
        handler=consumer.handler,
        wanted=consumer.CONSUMED,
        fetching=Fetching(max_records=500),
        relay_outbox=False,  # stats emits nothing
        uses_redis=True,
        background=[run_ticker_relay],
    )


def build_app(
    settings: StatsSettings, clock: Clock = SYSTEM_CLOCK, accounts: Accounts | None = None
) -> FastAPI:
    return build_service_app(service_spec(settings), clock=clock, accounts=accounts)


def run() -> None:
    settings = StatsSettings()
    serve(build_app(settings), settings)
