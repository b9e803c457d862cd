"""What create_app keeps on the app for dependencies: settings, accounts and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import Clock
from crm_servicekit.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceContext:
    settings: ServiceSettings
    accounts: Accounts
    clock: Clock


def attach_service_context(app: FastAPI, context: ServiceContext) -> None:
    app.state.service_context = context


def service_context(request: Request) -> ServiceContext:
    context = getattr(request.app.state, "service_context", None)
    if not isinstance(context, ServiceContext):
        raise RuntimeError("no ServiceContext on the app: build it with crm_servicekit.http")
    return context


async def current_clock(request: Request) -> Clock:
    # async: FastAPI would run a plain def dependency in a worker thread, a hop per request
    return service_context(request).clock


ClockDep = Annotated[Clock, Depends(current_clock)]
