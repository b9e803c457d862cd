"""Every operation of the nba API, fuzzed from its own OpenAPI document (schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from openapi_fuzz import FUZZ_SETTINGS, call_and_check, schema_of, serving, user_bearer

from crm_nba.main import build_app
from crm_nba.settings import NbaSettings
from crm_servicekit.accounts import Accounts, write_accounts_file
from crm_servicekit.clock import FixedClock

from .conftest import ACCOUNTS
from .history import T

UNSERVED = NbaSettings(environment="test")
schema = schema_of(build_app(UNSERVED, FixedClock(T), Accounts(ACCOUNTS)))


@pytest.fixture(scope="module")
def nba_url(
    kafka_bootstrap: str,
    module_database: str,
    module_topic: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    settings = NbaSettings(
        database_url=module_database,
        kafka_bootstrap_servers=kafka_bootstrap,
        accounts_file=write_accounts_file(
            tmp_path_factory.mktemp("nba-fuzz") / "accounts.yaml", ACCOUNTS
        ),
        environment="test",
        events_topic=module_topic,
    )
    with serving(build_app(settings, FixedClock(T), Accounts(ACCOUNTS))) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def bearer() -> dict[str, str]:
    return user_bearer(UNSERVED, "acme", T)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, nba_url: str, bearer: dict[str, str]
) -> None:
    call_and_check(case, nba_url, bearer)
