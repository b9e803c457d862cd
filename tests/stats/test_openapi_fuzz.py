"""Every operation of the stats API, fuzzed from its own OpenAPI document (schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import schemathesis
from fastapi import FastAPI
from openapi_fuzz import FUZZ_SETTINGS, call_and_check, schema_of, user_bearer
from served_app import ModuleServers, serving

from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.clock import FixedClock
from crm_stats.main import build_app
from crm_stats.settings import StatsSettings

T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)
ACCOUNTS = [Account(account_id="acme"), Account(account_id="other", time_zone="UTC")]


def stats_app(servers: ModuleServers | None = None) -> FastAPI:
    settings = (
        StatsSettings(environment="test")
        if servers is None
        else servers.settings(StatsSettings, ACCOUNTS)
    )
    return build_app(settings, FixedClock(T0), Accounts(ACCOUNTS))


schema = schema_of(stats_app())


@pytest.fixture(scope="module")
def base_url(module_servers: ModuleServers) -> Iterator[str]:
    with serving(stats_app(module_servers)) as url:
        yield url


# The ticker's stream never ends by design; test_ticker_and_api.py reads it as a client would.
@schema.exclude(path="/api/ticker/stream").parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(case: schemathesis.Case, base_url: str) -> None:
    call_and_check(case, base_url, user_bearer("acme", T0))
