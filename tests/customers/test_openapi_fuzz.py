"""Every operation of the customers API, fuzzed from its own OpenAPI document (schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from openapi_fuzz import FUZZ_SETTINGS, call_and_check, schema_of, serving, user_bearer

from crm_customers.main import build_app
from crm_customers.settings import CustomersSettings
from crm_servicekit.accounts import Accounts, load_accounts, write_accounts_file
from crm_servicekit.clock import FixedClock

from .conftest import ACCOUNTS, FakeClaims, customers_settings
from .events import T

UNSERVED = CustomersSettings(environment="test")
schema = schema_of(build_app(UNSERVED, FixedClock(T), Accounts(ACCOUNTS), claims=FakeClaims()))


@pytest.fixture(scope="module")
def customers_url(
    kafka_bootstrap: str,
    module_database: str,
    module_topic: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    accounts_file = write_accounts_file(
        tmp_path_factory.mktemp("customers-fuzz") / "accounts.yaml", ACCOUNTS
    )
    settings = customers_settings(module_database, kafka_bootstrap, module_topic, accounts_file)
    app = build_app(settings, FixedClock(T), load_accounts(accounts_file), claims=FakeClaims())
    with serving(app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def bearer() -> dict[str, str]:
    return user_bearer(UNSERVED, "acme", T)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, customers_url: str, bearer: dict[str, str]
) -> None:
    call_and_check(case, customers_url, bearer)
