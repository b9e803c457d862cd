"""Hostile requests to every route of the customers service, served for real (attack.py says
what each case asserts). Account B ("beta") owns a customer and an interaction that account A
("acme") attacks; B reads them back unchanged after every such attack."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from customers.conftest import FakeClaims
from fastapi import FastAPI
from served_app import ModuleServers

from crm_customers.main import build_app
from crm_customers.settings import CustomersSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock

from .attack import World, attack, reads_as, routes_of, served
from .customers_cases import ACCOUNTS, CASES, T
from .tokens import bearer, credentials_at

CREDENTIALS = credentials_at(T)


def customers_app(servers: ModuleServers | None = None) -> FastAPI:
    # Identities are claimed from ingest; here from its stand-in in memory, as in tests/customers.
    settings = (
        CustomersSettings(environment="test")
        if servers is None
        else servers.settings(CustomersSettings, ACCOUNTS)
    )
    return build_app(settings, FixedClock(T), Accounts(ACCOUNTS), claims=FakeClaims())


@pytest.fixture(scope="module")
def client(module_servers: ModuleServers) -> Iterator[httpx.Client]:
    with served(customers_app(module_servers)) as client:
        yield client


def created(client: httpx.Client, path: str, account: str, body: dict[str, object]) -> str:
    answer = client.post(path, json=body, headers=bearer(account, T))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


@pytest.fixture(scope="module")
def world(client: httpx.Client) -> World:
    """A customer and an interaction in each account; B's as B reads them before attacks."""
    values = {}
    for prefix, account in (("a", "acme"), ("b", "beta")):
        customer = created(client, "/api/customers", account, {"name": f"{account} customer"})
        body = {"customer_id": customer, "type": "note", "content": f"{account}'s note"}
        values[f"{prefix}_customer"] = customer
        values[f"{prefix}_interaction"] = created(client, "/api/interactions", account, body)
    world = World(values)
    reads = [
        f"/api/customers/{values['b_customer']}",
        f"/api/interactions/customer/{values['b_customer']}",
        f"/api/interactions/{values['b_interaction']}",
    ]
    world.remember_b(reads_as(client, bearer("beta", T), reads))
    return world


def test_every_route_of_the_service_is_attacked() -> None:
    assert {case.route for case in CASES.values()} == routes_of(customers_app().openapi())


@pytest.mark.parametrize("case_id", list(CASES))
def test_a_hostile_request_is_answered_as_the_contract_says(
    case_id: str, client: httpx.Client, world: World
) -> None:
    attack(client, CASES[case_id], world, CREDENTIALS)
