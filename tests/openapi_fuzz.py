"""Schema-driven fuzzing of a service's HTTP API with schemathesis (test support).

Each service's `test_openapi_fuzz.py` serves its real app (real PostgreSQL, Kafka and Redis
behind it) with uvicorn in a thread of its own, loads the OpenAPI document the app publishes,
and lets schemathesis generate requests for every operation in it: inputs that fit the schema
and inputs that do not. The checks are the quality bar's: never a server error, a declared
status code, JSON bodies that match their declared schema, errors as problem details, and
malformed input refused with a 4xx.

The server gets its own thread and event loop because schemathesis calls it synchronously
(through `requests`), while the test session's event loop runs on the main thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks
from schemathesis.core.failures import Failure

from crm_servicekit.auth import mint_token
from crm_servicekit.clock import FixedClock
from crm_servicekit.settings import ServiceSettings

START_TIMEOUT_S = 60.0
PROBLEM_MEDIA_TYPE = "application/problem+json"

# Enough examples per operation to reach each validation branch, few enough that the five
# services' operations together stay within a minute or so of CI time.
FUZZ_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure in CI reproduces locally
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app served on a free local port, lifespan included; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    # serve() rather than run(): run() would install uvloop's policy for the whole process.
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def schema_of(app: FastAPI) -> schemathesis.BaseSchema:
    """The OpenAPI document the app publishes (building it needs no server), for collection;
    the requests go to a served copy of the app, named by `call_and_check`'s base URL."""
    return schemathesis.openapi.from_dict(app.openapi())


def problem_details(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """A 4xx or 5xx answers with RFC 9457 problem details naming what went wrong."""
    if response.status_code < 400:
        return True
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if media_type != PROBLEM_MEDIA_TYPE:
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


def user_bearer(settings: ServiceSettings, account_id: str, at: datetime) -> dict[str, str]:
    """A person's token of the account, valid at `at` (the served app's fixed clock)."""
    token = mint_token(
        settings.jwt_secret, account_id, "fuzzer", timedelta(days=30), clock=FixedClock(at)
    )
    return {"Authorization": f"Bearer {token}"}


def call_and_check(case: schemathesis.Case, base_url: str, headers: dict[str, str]) -> None:
    """Send the generated request to the served app and apply every check above."""
    case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
