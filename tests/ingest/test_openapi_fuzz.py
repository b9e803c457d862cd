"""Every operation of the ingest API, fuzzed from its own OpenAPI document (schemathesis).

Generated webhooks carry no signature, so the hooks mostly answer 401; `/api/events` (with a
bearer token) and the identity claims (with the service token) get through authentication and
exercise the validation itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from openapi_fuzz import FUZZ_SETTINGS, call_and_check, schema_of, serving, user_bearer

from crm_ingest.main import build_app
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import Accounts, load_accounts
from crm_servicekit.clock import FixedClock

from .conftest import accounts_file, ingest_settings
from .support import SERVICE_TOKEN, T0

UNSERVED = IngestSettings(environment="test", service_token=SERVICE_TOKEN)
schema = schema_of(build_app(UNSERVED, FixedClock(T0), Accounts([])))


@pytest.fixture(scope="module")
def ingest_url(
    kafka_bootstrap: str,
    redis_url: str,
    module_database: str,
    module_topic: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    accounts = accounts_file(tmp_path_factory.mktemp("ingest-fuzz"))
    settings = ingest_settings(
        module_database,
        kafka_bootstrap,
        redis_url,
        module_topic,
        accounts,
        rate_limit_per_s=100_000.0,
        rate_limit_burst=100_000,
    )
    with serving(build_app(settings, FixedClock(T0), load_accounts(accounts))) as base_url:
        yield base_url


def headers_for(case: schemathesis.Case) -> dict[str, str]:
    if case.path.startswith("/internal/"):
        return {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    return user_bearer(UNSERVED, "acme", T0)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(case: schemathesis.Case, ingest_url: str) -> None:
    call_and_check(case, ingest_url, headers_for(case))
