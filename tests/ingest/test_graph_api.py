"""The Graph API client against a real local server answering like Meta: a lead, a lead
Meta does not have, and every way the read can fail and be retried later."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crm_ingest.graph_api import LEAD_FIELDS, GraphApi, GraphUnavailable, LeadNotFound

from .graph_server import GraphServer, fixture, lead_fixture

TOKEN = "EAAG-page-token-of-acme"


@pytest.fixture
async def graph() -> AsyncIterator[GraphServer]:
    async with GraphServer() as server:
        yield server


@pytest.fixture
async def api(graph: GraphServer) -> AsyncIterator[GraphApi]:
    client = GraphApi(graph.base_url, timeout_s=2.0)
    yield client
    await client.aclose()


async def test_a_lead_is_read_with_the_page_token_and_the_fields_it_needs(
    graph: GraphServer, api: GraphApi
) -> None:
    graph.add_lead(lead_fixture())

    lead = await api.lead("444444444444", TOKEN)

    assert lead == fixture("graph_lead.json")
    [request] = graph.requests
    assert (request.path, request.leadgen_id) == ("/v26.0/444444444444", "444444444444")
    assert request.query == {"access_token": TOKEN, "fields": LEAD_FIELDS}


async def test_a_lead_meta_does_not_have_is_not_found_naming_it(
    graph: GraphServer, api: GraphApi
) -> None:
    found = await api.lead("555000555", TOKEN)

    assert isinstance(found, LeadNotFound)
    assert "555000555" in found.reason
    assert "100/33" in found.reason


async def test_an_id_that_is_no_graph_id_is_not_found_and_never_sent(
    graph: GraphServer, api: GraphApi
) -> None:
    found = await api.lead("../me", TOKEN)

    assert isinstance(found, LeadNotFound)
    assert "'../me'" in found.reason
    assert graph.requests == []


async def test_an_expired_token_is_unavailable_not_not_found(
    graph: GraphServer, api: GraphApi
) -> None:
    graph.answer("444444444444", status=400, json_body=fixture("graph_token_expired.json"))

    with pytest.raises(GraphUnavailable, match="page access token") as raised:
        await api.lead("444444444444", TOKEN)

    assert "190/460" in raised.value.reason
    assert graph.tokens_sent() == [TOKEN]


async def test_throttling_is_unavailable(graph: GraphServer, api: GraphApi) -> None:
    graph.answer("444444444444", status=400, json_body=fixture("graph_too_many_calls.json"))

    with pytest.raises(GraphUnavailable, match="throttling"):
        await api.lead("444444444444", TOKEN)


async def test_http_429_is_unavailable(graph: GraphServer, api: GraphApi) -> None:
    graph.answer("444444444444", status=429, json_body=fixture("graph_too_many_calls.json"))

    with pytest.raises(GraphUnavailable, match="HTTP 429"):
        await api.lead("444444444444", TOKEN)


async def test_a_refused_connection_is_unavailable_and_the_read_succeeds_once_back(
    graph: GraphServer, api: GraphApi
) -> None:
    graph.add_lead(lead_fixture())
    await graph.down()

    with pytest.raises(GraphUnavailable, match="cannot be reached") as raised:
        await api.lead("444444444444", TOKEN)
    assert TOKEN not in raised.value.reason

    await graph.up()
    assert await api.lead("444444444444", TOKEN) == fixture("graph_lead.json")


@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_is_unavailable(
    graph: GraphServer, api: GraphApi, status: int
) -> None:
    graph.add_lead(lead_fixture())
    graph.failing(status)

    with pytest.raises(GraphUnavailable, match=f"HTTP {status}"):
        await api.lead("444444444444", TOKEN)


async def test_an_answer_slower_than_the_timeout_is_unavailable(graph: GraphServer) -> None:
    graph.add_lead(lead_fixture(), held=True)
    impatient = GraphApi(graph.base_url, timeout_s=0.2)
    try:
        with pytest.raises(GraphUnavailable, match=r"did not answer within 0\.2 s"):
            await impatient.lead("444444444444", TOKEN)
    finally:
        await impatient.aclose()


async def test_a_body_that_is_not_json_is_unavailable(graph: GraphServer, api: GraphApi) -> None:
    graph.answer("444444444444", status=200, text="<html>Sorry, something went wrong.</html>")

    with pytest.raises(GraphUnavailable, match="not JSON"):
        await api.lead("444444444444", TOKEN)


async def test_json_that_is_neither_a_lead_nor_an_error_is_unavailable(
    graph: GraphServer, api: GraphApi
) -> None:
    graph.answer("444444444444", status=400, json_body=["not", "an", "object"])

    with pytest.raises(GraphUnavailable, match="neither a lead nor an error"):
        await api.lead("444444444444", TOKEN)


async def test_closing_the_client_closes_it(graph: GraphServer) -> None:
    client = GraphApi(graph.base_url, timeout_s=1.0)
    assert not client.closed
    await client.aclose()
    assert client.closed
