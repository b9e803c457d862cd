"""Every operation of the customers API, fuzzed from its own OpenAPI document (schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from openapi_fuzz import FUZZ_SETTINGS, call_and_check, schema_of, user_bearer
from served_app import ModuleServers, serving

from crm_customers.main import build_app
from crm_customers.settings import CustomersSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock

from .conftest import ACCOUNTS, FakeClaims
from .events import T


def customers_app(servers: ModuleServers | None = None) -> FastAPI:
    settings = (
        CustomersSettings(environment="test")
        if servers is None
        else servers.settings(CustomersSettings, ACCOUNTS)
    )
    # Identities are claimed from ingest; here from its stand-in in memory.
    return build_app(settings, FixedClock(T), Accounts(ACCOUNTS), claims=FakeClaims())


schema = schema_of(customers_app())


@pytest.fixture(scope="module")
def base_url(module_servers: ModuleServers) -> Iterator[str]:
    with serving(customers_app(module_servers)) as url:
        yield url


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(case: schemathesis.Case, base_url: str) -> None:
    call_and_check(case, base_url, user_bearer("acme", T))
