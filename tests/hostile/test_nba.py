"""Hostile requests to every route of the nba service, served for real (attack.py says what
each case asserts). Each account has a customer the service learnt of from the topic; account
A ("acme") attacks B's ("beta"), and B reads its recommendations back unchanged after every
such attack."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from served_app import ModuleServers

from crm_nba.main import build_app
from crm_nba.settings import NbaSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock

from .attack import World, attack, reads_as, routes_of, served
from .nba_cases import ACCOUNTS, CASES, T
from .tokens import bearer, credentials_at
from .topic_feed import new_customer, publish, until

CREDENTIALS = credentials_at(T)


def nba_app(servers: ModuleServers | None = None) -> FastAPI:
    settings = (
        NbaSettings(environment="test")
        if servers is None
        else servers.settings(NbaSettings, ACCOUNTS)
    )
    return build_app(settings, FixedClock(T), Accounts(ACCOUNTS))


@pytest.fixture(scope="module")
def client(module_servers: ModuleServers) -> Iterator[httpx.Client]:
    with served(nba_app(module_servers)) as client:
        yield client


def recommendation_status(client: httpx.Client, customer: str, account: str) -> int:
    return client.get(f"/api/nba/customer/{customer}", headers=bearer(account, T)).status_code


@pytest.fixture(scope="module")
def world(client: httpx.Client, module_servers: ModuleServers) -> World:
    """A customer of each account, consumed from the topic until it has a recommendation."""
    values = {"a_customer": str(uuid.uuid4()), "b_customer": str(uuid.uuid4())}
    publish(module_servers, new_customer("acme", uuid.UUID(values["a_customer"]), T))
    publish(module_servers, new_customer("beta", uuid.UUID(values["b_customer"]), T))
    for prefix, account in (("a", "acme"), ("b", "beta")):
        probe = functools.partial(
            recommendation_status, client, values[f"{prefix}_customer"], account
        )
        until(probe, lambda status: status == 200)
    world = World(values)
    reads = [f"/api/nba/customer/{values['b_customer']}", "/api/nba"]
    world.remember_b(reads_as(client, bearer("beta", T), reads))
    return world


def test_every_route_of_the_service_is_attacked() -> None:
    assert {case.route for case in CASES.values()} == routes_of(nba_app().openapi())


@pytest.mark.parametrize("case_id", list(CASES))
def test_a_hostile_request_is_answered_as_the_contract_says(
    case_id: str, client: httpx.Client, world: World
) -> None:
    attack(client, CASES[case_id], world, CREDENTIALS)
