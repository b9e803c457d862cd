"""Every operation of the ingest API, fuzzed from its own OpenAPI document (schemathesis).

Generated webhooks carry no signature, so the hooks answer 401 unless a body names `devbox`,
the account that takes unsigned webhooks; `/api/events` and the batch (with a person's token)
and the identity claims (with the service token) get through authentication and exercise the
validation itself. Valid generated events are brought within reach of acceptance (a recent
timestamp, the token's account, someone to be about), so that normalization, identity
resolution and publishing are fuzzed too, not only refusals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from openapi_fuzz import FUZZ_SETTINGS, call_and_check, schema_of, user_bearer
from schemathesis import GenerationMode
from served_app import ModuleServers, serving

from crm_ingest.main import build_app
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.clock import FixedClock

from .support import ACME_KEY, SERVICE_TOKEN, T0, whsec

ACCOUNTS = [
    Account(account_id="acme", webhook_secrets=(whsec(ACME_KEY),)),
    Account(account_id="devbox", allow_unsigned_webhooks=True),
]


def ingest_app(servers: ModuleServers | None = None) -> FastAPI:
    settings = (
        IngestSettings(environment="test", service_token=SERVICE_TOKEN)
        if servers is None
        else servers.settings(
            IngestSettings,
            ACCOUNTS,
            service_token=SERVICE_TOKEN,
            rate_limit_per_s=100_000.0,
            rate_limit_burst=100_000,
        )
    )
    return build_app(settings, FixedClock(T0), Accounts(ACCOUNTS))


schema = schema_of(ingest_app())


@pytest.fixture(scope="module")
def base_url(module_servers: ModuleServers) -> Iterator[str]:
    with serving(ingest_app(module_servers)) as url:
        # The first publish to a new topic waits for its metadata; pay that before fuzzing.
        warm_up = {
            "event_name": "INVITE_SENT",
            "event_id": "fuzz-warm-up",
            "timestamp": T0.isoformat(),
            "user_id": "fuzz-warm-up",
        }
        answer = httpx.post(
            f"{url}/api/events", json=warm_up, headers=user_bearer("acme", T0), timeout=120
        )
        assert answer.status_code == 202, answer.text
        yield url


def within_reach(case: schemathesis.Case) -> None:
    """Give a valid generated event what its schema cannot say: a timestamp inside ingest's
    window (the app's clock is T0), the token's account, no customer id that nobody was given
    (an unknown customer is refused), and a prospect's id when nothing else names one."""
    if case.path != "/api/events" or not isinstance(case.body, dict):
        return
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return
    case.body["timestamp"] = (T0 - timedelta(minutes=1)).isoformat()
    case.body.pop("account_id", None)
    case.body.pop("customer_id", None)
    case.body["user_id"] = case.body.get("user_id") or "fuzz-prospect"


def headers_for(case: schemathesis.Case) -> dict[str, str]:
    if case.path.startswith("/internal/"):
        return {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    return user_bearer("acme", T0)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(case: schemathesis.Case, base_url: str) -> None:
    within_reach(case)
    call_and_check(case, base_url, headers_for(case))
