"""No endpoint of any service runs part of a request in a worker thread.

FastAPI runs a plain `def` endpoint or dependency through a thread pool: a hand-off and a
wake-up per call, measurable on every GET (the commit that made them all async measured
1.6-2.0 ms of service CPU per read before and 1.25-1.4 ms after). Nothing here does blocking
I/O, so everything a request calls is a coroutine.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from crm_servicekit.accounts import Account, Accounts


def _apps() -> Iterator[tuple[str, Callable[[], FastAPI]]]:
    from crm_customers.main import build_app as customers
    from crm_customers.settings import CustomersSettings
    from crm_ingest.main import build_app as ingest
    from crm_ingest.settings import IngestSettings
    from crm_nba.main import build_app as nba
    from crm_nba.settings import NbaSettings
    from crm_rules.main import build_app as rules
    from crm_rules.settings import RulesSettings
    from crm_stats.main import build_app as stats
    from crm_stats.settings import StatsSettings

    accounts = Accounts([Account(account_id="acme")])
    yield "ingest", lambda: ingest(IngestSettings(), accounts=accounts)
    yield "customers", lambda: customers(CustomersSettings(), accounts=accounts)
    yield "rules", lambda: rules(RulesSettings(), accounts=accounts)
    yield "nba", lambda: nba(NbaSettings(), accounts=accounts)
    yield "stats", lambda: stats(StatsSettings(), accounts=accounts)


def _is_async(call: Any) -> bool:
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    if inspect.isfunction(call) or inspect.ismethod(call):
        return False
    method = type(call).__call__  # a callable instance, like HTTPBearer
    return inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI keeps those as wrappers that
    hold the router they include)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def _sync_calls(dependant: Dependant) -> Iterator[str]:
    if dependant.call is not None and not _is_async(dependant.call):
        yield getattr(dependant.call, "__qualname__", repr(dependant.call))
    for sub in dependant.dependencies:
        yield from _sync_calls(sub)


@pytest.mark.parametrize(("name", "build"), list(_apps()), ids=[name for name, _ in _apps()])
def test_every_endpoint_and_dependency_is_a_coroutine(
    name: str, build: Callable[[], FastAPI]
) -> None:
    app = build()
    routes = list(_api_routes(app.routes))
    assert routes, f"{name} has no API routes"
    offenders = {
        f"{sorted(route.methods or ())} {route.path}": sorted(set(_sync_calls(route.dependant)))
        for route in routes
    }
    assert {path: calls for path, calls in offenders.items() if calls} == {}


def test_the_check_sees_a_plain_def_dependency() -> None:
    def plain() -> int:
        return 1

    app = FastAPI()
    app.get("/x")(_endpoint_with(plain))

    route = next(r for r in app.routes if isinstance(r, APIRoute))
    assert list(_sync_calls(route.dependant)) == [plain.__qualname__]


def _endpoint_with(dependency: Callable[[], int]) -> Callable[..., Any]:
    async def endpoint(value: Annotated[int, Depends(dependency)]) -> int:
        return value

    endpoint.__annotations__ = {"value": Annotated[int, Depends(dependency)], "return": int}
    return endpoint
