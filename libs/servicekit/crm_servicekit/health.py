"""``/health/live`` answers while the process runs; ``/health/ready`` checks dependencies.

A check either fails the replica (503 naming it: a load balancer sends it no traffic) or only
degrades it: a dependency the replica serves without, less well (ingest limits rates in its
own process without Redis). A degrading check that does not pass is reported by name as
``degraded`` while the replica answers 200, so losing that one dependency does not take every
replica out of the load balancer at once.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis

from crm_servicekit.metrics import READY
from crm_servicekit.openapi_problems import problems
from crm_servicekit.problems import problem_response
from crm_servicekit.service_context import service_context

# Raises (or times out) when the dependency cannot serve; its return value is ignored.
ReadinessCheck = Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class DegradingCheck:
    """A check whose failure leaves the replica ready, reported as degraded."""

    check: ReadinessCheck


class CheckProblem(Exception):
    """A check's failure whose message is written for the report: it says what to fix and
    holds no secret. Any other error is reported by its class alone, since its text may."""


# What `app.state.readiness_checks` maps each name to.
RegisteredCheck = ReadinessCheck | DegradingCheck

log = structlog.get_logger(__name__)
health_router = APIRouter(prefix="/health", tags=["ops"])


def instance_name(pid: int) -> str:
    """Which replica answered (host and process): behind a shared port or a load balancer,
    the way to tell replicas apart, e.g. to wait until every one of them is ready."""
    return f"{socket.gethostname()}:{pid}"


INSTANCE = instance_name(os.getpid())


def add_readiness_check(
    app: FastAPI, name: str, check: ReadinessCheck, *, degrades: bool = False
) -> None:
    """Declare a dependency to check; call from the lifespan once its client exists.
    With `degrades`, the replica stays ready without it (reported as degraded)."""
    app.state.readiness_checks[name] = DegradingCheck(check) if degrades else check


def postgres_check(pool: asyncpg.Pool) -> ReadinessCheck:
    async def select_one() -> None:
        async with pool.acquire() as connection:
            await connection.fetchval("SELECT 1")

    return select_one


def redis_check(client: Redis) -> ReadinessCheck:
    async def ping() -> None:
        await client.ping()

    return ping


class Readiness(BaseModel):
    """A ready replica's report (`ready`, or `degraded` when a degrading check did not pass);
    a replica that is not ready answers 503 with problem details carrying the same `instance`
    and `checks`."""

    status: str
    instance: str
    checks: dict[str, dict[str, str]]


@health_router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "live", "instance": INSTANCE}


@health_router.get("/ready", responses={200: {"model": Readiness}, **problems(503)})
async def ready(request: Request) -> Response:
    checks: Mapping[str, RegisteredCheck] = request.app.state.readiness_checks
    settings = service_context(request).settings
    timeout = settings.readiness_timeout_s
    names = list(checks)
    outcomes = await asyncio.gather(*(_run(name, checks[name], timeout) for name in names))
    results = dict(zip(names, outcomes, strict=True))
    failed = sorted(name for name, result in results.items() if result["status"] == "failed")
    # Whoever probes readiness (the kubelet, compose) keeps this current for the dashboard.
    READY.labels(settings.service_name).set(0 if failed else 1)
    if not failed:
        degraded = any(result["status"] == "degraded" for result in results.values())
        status = "degraded" if degraded else "ready"
        return JSONResponse({"status": status, "instance": INSTANCE, "checks": results})
    return problem_response(
        503,
        f"Not ready: {', '.join(failed)} failed.",
        headers={"Retry-After": "5"},
        extra={"instance": INSTANCE, "checks": results},
    )


async def _run(name: str, registered: RegisteredCheck, limit_s: float) -> dict[str, str]:
    if isinstance(registered, DegradingCheck):
        check, not_passed = registered.check, "degraded"
    else:
        check, not_passed = registered, "failed"
    try:
        async with asyncio.timeout(limit_s):
            await check()
    except TimeoutError:
        log.warning("readiness check timed out", check=name, timeout_s=limit_s, status=not_passed)
        return {"status": not_passed, "error": f"no answer within {limit_s:g}s"}
    except Exception as error:
        # A failing dependency is the answer here, not a fault of ours.
        log.warning("readiness check failed", check=name, error=repr(error), status=not_passed)
        reported = str(error) if isinstance(error, CheckProblem) else type(error).__name__
        return {"status": not_passed, "error": reported}
    return {"status": "ok"}
