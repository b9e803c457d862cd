"""Schema-driven fuzzing of a service's HTTP API with schemathesis (test support).

Each service's `test_openapi_fuzz.py` serves its real app (served_app.py: real PostgreSQL,
Kafka and Redis behind it), takes the OpenAPI document the app publishes, and lets
schemathesis generate requests for every operation in it: inputs that fit the schema and
inputs that do not. The checks are the quality bar's: never a server error, a declared status
code, bodies that match their declared schema, errors as problem details, and input the
schema forbids refused with a 4xx.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks
from schemathesis.core.failures import Failure

from crm_servicekit.auth import mint_token
from crm_servicekit.clock import FixedClock
from crm_servicekit.problems import PROBLEM_CONTENT_TYPE
from crm_servicekit.settings import ServiceSettings

# Generous: a loaded CI machine answered a publishing request in 9 s once (schemathesis's
# default is 10 s); a slow answer is not what these checks are about.
REQUEST_TIMEOUT_S = 60
TEST_SETTINGS = ServiceSettings(environment="test")

# Enough examples per operation to reach each validation branch, few enough that the five
# services' operations together stay within a minute or so of CI time; `make fuzz` sets
# CRM_FUZZ_EXAMPLES for a run of more than 10,000 requests.
FUZZ_EXAMPLES = int(os.environ.get("CRM_FUZZ_EXAMPLES", "40"))
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure in CI reproduces locally
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


def schema_of(app: FastAPI) -> schemathesis.BaseSchema:
    """The OpenAPI document the app publishes (building it needs no server), for collection;
    the requests go to a served copy of the app, named by `call_and_check`'s base URL."""
    return schemathesis.openapi.from_dict(app.openapi())


def problem_details(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """A 4xx or 5xx answers with RFC 9457 problem details naming what went wrong."""
    if response.status_code < 400:
        return True
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if media_type != PROBLEM_CONTENT_TYPE:
        raise Failure(
            operation=case.operation.label,
            title="Error without problem details",
            message=f"{response.status_code} answered as {media_type!r}",
        )
    body = response.json()
    missing = [key for key in ("type", "title", "status") if key not in body]
    if missing or body["status"] != response.status_code:
        raise Failure(
            operation=case.operation.label,
            title="Malformed problem details",
            message=f"missing {missing}, status {body.get('status')} on a {response.status_code}",
        )
    return True


def invalid_input_refused(
    ctx: Any, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Input the schema forbids is refused with a 4xx (schemathesis's negative_data_rejection),
    except a query parameter the operation does not declare: like most HTTP APIs ours ignore
    those, and OpenAPI has no way to say otherwise."""
    if 400 <= response.status_code < 500:
        return None  # refused; schemathesis's own list of refusals lacks 413 (batch over 500)
    declared = {parameter.name for parameter in case.operation.query}
    if set(case.query or {}) - declared:
        return None
    return st_checks.negative_data_rejection(ctx, response, case)


CHECKS: list[Callable[..., Any]] = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    invalid_input_refused,
    problem_details,
]


def user_bearer(account_id: str, at: datetime) -> dict[str, str]:
    """A person's token of the account (the test settings' secret), valid at `at`, the served
    app's fixed clock."""
    token = mint_token(
        TEST_SETTINGS.jwt_secret, account_id, "fuzzer", timedelta(days=30), clock=FixedClock(at)
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Tally:
    """The requests the fuzz tests sent in this pytest run, and how many got a 5xx; tests'
    conftest prints it at the end of a run that sent any."""

    sent: int = 0
    server_errors: int = 0

    def summary(self) -> str:
        return f"openapi fuzz: {self.sent} requests sent, {self.server_errors} answered 5xx"


TALLY = Tally()


def call_and_check(case: schemathesis.Case, base_url: str, headers: dict[str, str]) -> None:
    """Send the generated request to the served app, count it, and apply every check above.

    `headers` (the credentials) replace generated ones of the same name, and fill in a required
    one the generated request left out (a negative case "header missing"); either way the
    request sent may no longer be the invalid one generated, so it is not expected refused.
    """
    supplied = {name.lower() for name in headers}
    generated = {name.lower() for name in case.headers or {}}
    required = {p.name.lower() for p in case.operation.headers if p.is_required}
    altered = (supplied & generated) or ((supplied - generated) & required)
    checks = [c for c in CHECKS if not (altered and c is invalid_input_refused)]
    response = case.call(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S)
    TALLY.sent += 1
    TALLY.server_errors += response.status_code >= 500
    case.validate_response(
        response,
        checks,
        headers=headers,
        transport_kwargs={"base_url": base_url, "headers": headers, "timeout": REQUEST_TIMEOUT_S},
    )
