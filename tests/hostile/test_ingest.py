"""Hostile requests to every route of the ingest service, served for real (attack.py says what
each case asserts). Account B ("beta") has a customer ingest resolved from B's own event;
account A ("acme") names it in events, batches and claims, and what was published for that
customer is read back from the topic unchanged after every such attack."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from ingest.support import SERVICE_TOKEN, T0
from served_app import ModuleServers

from crm_devstack.kafka_testing import read_events
from crm_devstack.servers_for_tests import run_coroutine
from crm_ingest.main import build_app
from crm_ingest.settings import IngestSettings
from crm_servicekit.accounts import Accounts
from crm_servicekit.clock import FixedClock

from .attack import World, attack, body_bytes, internal_routes_of, routes_of, served
from .connector_cases import META_SETTINGS
from .ingest_bodies import event, signed
from .ingest_cases import ACCOUNTS, CASES, REPLAYED_DM
from .tokens import bearer, credentials_at

CREDENTIALS = credentials_at(T0, service_token=SERVICE_TOKEN)


def ingest_app(servers: ModuleServers | None = None) -> FastAPI:
    settings = (
        IngestSettings(environment="test", service_token=SERVICE_TOKEN)
        if servers is None
        else servers.settings(
            IngestSettings,
            ACCOUNTS,
            service_token=SERVICE_TOKEN,
            rate_limit_per_s=100_000.0,
            rate_limit_burst=100_000,
            **META_SETTINGS,
        )
    )
    return build_app(settings, FixedClock(T0), Accounts(ACCOUNTS))


@pytest.fixture(scope="module")
def client(module_servers: ModuleServers) -> Iterator[httpx.Client]:
    with served(ingest_app(module_servers)) as client:
        yield client


def published_about(servers: ModuleServers, customer: str) -> list[tuple[str, str]]:
    """(account, event id) of every event on the topic about that customer."""
    events = run_coroutine(lambda: read_events(servers.kafka_bootstrap, servers.topic))
    return sorted((e.account_id, e.event_id) for e in events if str(e.customer_id) == customer)


@pytest.fixture(scope="module")
def world(client: httpx.Client, module_servers: ModuleServers) -> World:
    """B's customer, from an event of B's own (the first publish to the topic also waits for
    its metadata, paid here); and the DM that one case sends again, accepted once."""
    body = event(event_id="hostile-b-own", user_id="b-prospect")
    answer = client.post("/api/events", json=body, headers=bearer("beta", T0), timeout=120)
    assert answer.status_code == 202, answer.text
    world = World({"b_customer": answer.json()["customer_id"]})
    raw = body_bytes(REPLAYED_DM)
    dm = client.post(
        "/api/hooks/dm",
        content=raw,
        headers={"content-type": "application/json", **signed()(raw)},
    )
    assert dm.status_code == 202, dm.text
    world.remember_b(lambda: published_about(module_servers, world.values["b_customer"]))
    assert world.b_snapshot == [("beta", "hostile-b-own")], json.dumps(world.b_snapshot)
    return world


def test_every_route_of_the_service_is_attacked() -> None:
    app = ingest_app()
    # The internal claim route is left out of the document and attacked all the same.
    routes = routes_of(app.openapi()) | internal_routes_of(app)
    assert {case.route for case in CASES.values()} == routes


@pytest.mark.parametrize("case_id", list(CASES))
def test_a_hostile_request_is_answered_as_the_contract_says(
    case_id: str, client: httpx.Client, world: World
) -> None:
    attack(client, CASES[case_id], world, CREDENTIALS)
