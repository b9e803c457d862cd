"""Every operation of the stats API, fuzzed from its own OpenAPI document (schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import schemathesis
from openapi_fuzz import FUZZ_SETTINGS, call_and_check, schema_of, serving, user_bearer

from crm_servicekit.accounts import Account, Accounts, write_accounts_file
from crm_servicekit.clock import FixedClock
from crm_stats.main import build_app
from crm_stats.settings import StatsSettings

T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)
ACCOUNTS = [Account(account_id="acme"), Account(account_id="other", time_zone="UTC")]

UNSERVED = StatsSettings(environment="test")
schema = schema_of(build_app(UNSERVED, FixedClock(T0), Accounts(ACCOUNTS)))


@pytest.fixture(scope="module")
def stats_url(
    kafka_bootstrap: str,
    redis_url: str,
    module_database: str,
    module_topic: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    settings = StatsSettings(
        database_url=module_database,
        kafka_bootstrap_servers=kafka_bootstrap,
        redis_url=redis_url,
        accounts_file=write_accounts_file(
            tmp_path_factory.mktemp("stats-fuzz") / "accounts.yaml", ACCOUNTS
        ),
        environment="test",
        events_topic=module_topic,
    )
    with serving(build_app(settings, FixedClock(T0), Accounts(ACCOUNTS))) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def bearer() -> dict[str, str]:
    return user_bearer(UNSERVED, "acme", T0)


# The ticker's stream never ends by design; test_ticker_and_api.py reads it as a client would.
@schema.exclude(path="/api/ticker/stream").parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, stats_url: str, bearer: dict[str, str]
) -> None:
    call_and_check(case, stats_url, bearer)
