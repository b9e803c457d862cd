"""Hostile requests to every route of the stats service, served for real (attack.py says what
each case asserts). Each account has a customer whose events the service consumed from the
topic; account A ("acme") attacks B's ("beta"), and B reads its log and figures back
unchanged after every such attack."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from served_app import ModuleServers

from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock
from crm_stats.main import build_app
from crm_stats.settings import StatsSettings

from .attack import World, attack, reads_as, routes_of, served
from .stats_cases import ACCOUNTS, CASES, T0
from .tokens import bearer, credentials_at
from .topic_feed import new_customer, publish, until

CREDENTIALS = credentials_at(T0)


def stats_app(servers: ModuleServers | None = None) -> FastAPI:
    settings = (
        StatsSettings(environment="test")
        if servers is None
        else servers.settings(StatsSettings, ACCOUNTS)
    )
    return build_app(settings, FixedClock(T0), Accounts(ACCOUNTS))


@pytest.fixture(scope="module")
def client(module_servers: ModuleServers) -> Iterator[httpx.Client]:
    with served(stats_app(module_servers)) as client:
        yield client


def event_log(client: httpx.Client, customer: str, account: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/events/customer/{customer}", headers=bearer(account, T0))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


@pytest.fixture(scope="module")
def world(client: httpx.Client, module_servers: ModuleServers) -> World:
    """A customer of each account, consumed from the topic until its events are in the log."""
    values = {"a_customer": str(uuid.uuid4()), "b_customer": str(uuid.uuid4())}
    publish(module_servers, new_customer("acme", uuid.UUID(values["a_customer"]), T0))
    publish(module_servers, new_customer("beta", uuid.UUID(values["b_customer"]), T0))
    for prefix, account in (("a", "acme"), ("b", "beta")):
        probe = functools.partial(event_log, client, values[f"{prefix}_customer"], account)
        until(probe, lambda items: len(items) >= 2)
    world = World(values)
    reads = [
        f"/api/events/customer/{values['b_customer']}",
        f"/api/events?customer_id={values['b_customer']}",
        "/api/customers/stats?period=today",
    ]
    world.remember_b(reads_as(client, bearer("beta", T0), reads))
    return world


def test_every_route_of_the_service_is_attacked() -> None:
    assert {case.route for case in CASES.values()} == routes_of(stats_app().openapi())


@pytest.mark.parametrize("case_id", list(CASES))
def test_a_hostile_request_is_answered_as_the_contract_says(
    case_id: str, client: httpx.Client, world: World
) -> None:
    attack(client, CASES[case_id], world, CREDENTIALS)
