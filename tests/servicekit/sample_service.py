"""A small service built with crm_servicekit, to exercise the plumbing through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from asyncpg import exceptions as pg_errors
from fastapi import APIRouter, Body, FastAPI
from pydantic import BaseModel, Field

from crm_servicekit.accounts import Account, Accounts
from crm_servicekit.auth import (
    CurrentAccount,
    CurrentAdmin,
    CurrentPrincipal,
    CurrentStreamAccount,
    Role,
    ServiceTokenRequired,
    mint_token,
)
from crm_servicekit.clock import Clock, FixedClock
from crm_servicekit.health import ReadinessCheck
from crm_servicekit.http import create_app
from crm_servicekit.openapi_problems import problems
from crm_servicekit.pagination import CursorKind, Page, Pagination
from crm_servicekit.problems import (
    Conflict,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
)
from crm_servicekit.settings import ServiceSettings

JWT_SECRET = "test-jwt-secret-3b1f0e5c9a7d4e2f8a6b"
SERVICE_TOKEN = "test-service-token-8d2c4a6e0f1b3d5c7e9a"
MAX_REQUEST_BYTES = 2048
T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
NUMBERS = list(range(120))
NUMBERS_CURSOR = CursorKind("/api/numbers", int)


class SampleSettings(ServiceSettings):
    service_name = "sample"


class NewThing(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=0)


def sample_settings(**overrides: object) -> SampleSettings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": "postgresql://crm@127.0.0.1:5432/sample",
        "jwt_secret": JWT_SECRET,
        "service_token": SERVICE_TOKEN,
        "max_request_bytes": MAX_REQUEST_BYTES,
        "readiness_timeout_s": 0.2,
    }
    values.update(overrides)
    return SampleSettings.model_validate(values)


def sample_accounts() -> Accounts:
    return Accounts([Account(account_id="demo"), Account(account_id="acme", time_zone="UTC")])


def token_for(
    account_id: str = "demo",
    *,
    sub: str = "user-1",
    clock: Clock | None = None,
    role: Role = Role.MEMBER,
) -> str:
    return mint_token(
        JWT_SECRET, account_id, sub, timedelta(hours=1), role=role, clock=clock or FixedClock(T0)
    )


def bearer(account_id: str = "demo", **kwargs: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(account_id, **kwargs)}"}  # type: ignore[arg-type]


router = APIRouter(prefix="/api")
internal = APIRouter(prefix="/internal", dependencies=[ServiceTokenRequired])


@router.get("/whoami")
async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
    return {"account_id": principal.account.account_id, "user_id": principal.user_id}


@router.get("/stream-things")
async def stream_things(account: CurrentStreamAccount) -> dict[str, str]:
    """Stands in for a Server-Sent Events route: the only kind that takes `access_token`."""
    return {"account_id": account.account_id}


@router.put("/admin-things")
async def replace_thing(thing: NewThing, admin: CurrentAdmin) -> dict[str, object]:
    return {"account_id": admin.account.account_id, "role": admin.role.value, "name": thing.name}


@router.post("/things", status_code=201)
async def create_thing(thing: NewThing, account: CurrentAccount) -> dict[str, object]:
    return {"account_id": account.account_id, "name": thing.name, "count": thing.count}


@router.post("/raw")
async def echo_size(account: CurrentAccount, payload: Annotated[bytes, Body()]) -> dict[str, int]:
    return {"bytes": len(payload)}


@router.get("/things/{thing_id}")
async def read_thing(thing_id: int, account: CurrentAccount) -> dict[str, int]:
    raise NotFound(f"No thing {thing_id} in this account.")


@router.post("/claims", responses=problems(409))
async def claim(account: CurrentAccount) -> None:
    raise Conflict("The email belongs to another customer.", customer_id="c-123")


@router.get("/busy")
async def busy(account: CurrentAccount) -> None:
    raise TooManyRequests("Slow down.", retry_after_s=3)


@router.get("/down")
async def down(account: CurrentAccount) -> None:
    raise ServiceUnavailable("Kafka cannot take events now.", retry_after_s=7)


@router.get("/boom")
async def boom(account: CurrentAccount) -> None:
    raise RuntimeError("database password is hunter2")


# What PostgreSQL raises when it rolls a transaction back for another one's sake.
LOST_TO_CONCURRENT_WORK = {
    "serialization": pg_errors.SerializationError,
    "deadlock": pg_errors.DeadlockDetectedError,
    "lock": pg_errors.LockNotAvailableError,
}


@router.get("/lost/{how}")
async def lost(how: str, account: CurrentAccount) -> None:
    raise LOST_TO_CONCURRENT_WORK[how](f"{how}: the other transaction went first")


@router.get("/numbers")
async def numbers(page: Pagination, account: CurrentAccount) -> Page[int]:
    keyset = page.keyset(NUMBERS_CURSOR)
    start = 0 if keyset.after is None else keyset.after + 1
    return keyset.page(NUMBERS[start : start + keyset.limit + 1], lambda n: n)


@internal.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "pong"}


def sample_app(
    *,
    settings: SampleSettings | None = None,
    clock: Clock | None = None,
    readiness_checks: dict[str, ReadinessCheck] | None = None,
    routers: tuple[APIRouter, ...] = (),
) -> FastAPI:
    return create_app(
        settings or sample_settings(),
        sample_accounts(),
        title="sample",
        routers=(router, internal, *routers),
        readiness_checks=readiness_checks,
        clock=clock or FixedClock(T0 + timedelta(minutes=1)),
    )
