"""Hostile requests to every route of the rules service, served for real (attack.py says what
each case asserts). Account B ("beta") has a customer the service learnt of from the topic and
a reminder of that customer; account A ("acme") attacks them, and B reads them back unchanged
after every such attack."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from served_app import ModuleServers

from crm_rules.main import build_app
from crm_rules.settings import RulesSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock

from .attack import World, attack, reads_as, routes_of, served
from .rules_cases import ACCOUNTS, CASES, T0, reminder
from .tokens import bearer, credentials_at
from .topic_feed import new_customer, publish, until

CREDENTIALS = credentials_at(T0)


def rules_app(servers: ModuleServers | None = None) -> FastAPI:
    settings = (
        RulesSettings(environment="test")
        if servers is None
        else servers.settings(RulesSettings, ACCOUNTS)
    )
    return build_app(settings, FixedClock(T0), Accounts(ACCOUNTS))


@pytest.fixture(scope="module")
def client(module_servers: ModuleServers) -> Iterator[httpx.Client]:
    with served(rules_app(module_servers)) as client:
        yield client


def reminders_of(client: httpx.Client, customer: str, account: str) -> list[dict[str, Any]]:
    answer = client.get(
        "/api/reminders", params={"customer_id": customer}, headers=bearer(account, T0)
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def created_reminder(client: httpx.Client, customer: str, account: str) -> str:
    body = reminder(f"{account}'s own reminder", customer)
    answer = client.post("/api/reminders", json=body, headers=bearer(account, T0))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


@pytest.fixture(scope="module")
def world(client: httpx.Client, module_servers: ModuleServers) -> World:
    """A customer of each account, created and consumed from the topic (the DM gives each
    the automated inactivity reminder), and a reminder each account made by hand."""
    customers = {"a": uuid.uuid4(), "b": uuid.uuid4()}
    publish(module_servers, new_customer("acme", customers["a"], T0))
    publish(module_servers, new_customer("beta", customers["b"], T0))
    values = {}
    for prefix, account in (("a", "acme"), ("b", "beta")):
        customer = str(customers[prefix])
        until(functools.partial(reminders_of, client, customer, account), bool)
        values[f"{prefix}_customer"] = customer
        values[f"{prefix}_reminder"] = created_reminder(client, customer, account)
    world = World(values)
    reads = [
        f"/api/reminders?customer_id={values['b_customer']}",
        f"/api/reminders/{values['b_reminder']}",
        f"/api/reminders/due?customer_id={values['b_customer']}&as_of=2026-11-20T00:00:00Z",
    ]
    world.remember_b(reads_as(client, bearer("beta", T0), reads))
    return world


def test_every_route_of_the_service_is_attacked() -> None:
    assert {case.route for case in CASES.values()} == routes_of(rules_app().openapi())


@pytest.mark.parametrize("case_id", list(CASES))
def test_a_hostile_request_is_answered_as_the_contract_says(
    case_id: str, client: httpx.Client, world: World
) -> None:
    attack(client, CASES[case_id], world, CREDENTIALS)
