"""Every operation of the rules API, fuzzed from its own OpenAPI document (schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from openapi_fuzz import FUZZ_SETTINGS, call_and_check, schema_of, user_bearer
from served_app import ModuleServers, serving

from crm_rules.main import build_app
from crm_rules.settings import RulesSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock

from .history import T0
from .service_support import ACCOUNTS


def rules_app(servers: ModuleServers | None = None) -> FastAPI:
    settings = (
        RulesSettings(environment="test")
        if servers is None
        else servers.settings(RulesSettings, ACCOUNTS)
    )
    return build_app(settings, FixedClock(T0), Accounts(ACCOUNTS))


schema = schema_of(rules_app())


@pytest.fixture(scope="module")
def base_url(module_servers: ModuleServers) -> Iterator[str]:
    with serving(rules_app(module_servers)) as url:
        yield url


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(case: schemathesis.Case, base_url: str) -> None:
    call_and_check(case, base_url, user_bearer("acme", T0))
