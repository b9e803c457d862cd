"""Lead Ads: the notification names the lead, the answers are read from the Graph API (a real
local server playing it), and a Graph API that cannot answer makes Meta send it again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from crm_schemas.catalog import EventName

from . import meta_deliveries as meta
from .connector_support import ACME_PAGE, BETA_PAGE, META_SETTINGS, post_meta
from .graph_server import GraphServer, lead_fixture
from .support import T0, Ingest

AT = (T0 - timedelta(minutes=3)).replace(microsecond=0)
LEAD_ID = "444444444444"


def documented_lead(**changes: Any) -> dict[str, Any]:
    """The documented answer, with a phone number that is valid (the documentation's is a
    drama number, which ingest rightly leaves off)."""
    lead = lead_fixture(**changes)
    for field in lead["field_data"]:
        if field["name"] == "phone_number":
            field["values"] = ["+47 912 34 567"]
    return lead


@asynccontextmanager
async def ingest_and_graph(
    start_ingest: Callable[..., Any],
) -> AsyncIterator[tuple[Ingest, GraphServer]]:
    async with (
        GraphServer() as graph,
        start_ingest(**META_SETTINGS, graph_api_base=graph.base_url) as running,
    ):
        yield running, graph


async def test_a_lead_is_read_from_the_graph_api_and_published_once(
    start_ingest: Callable[..., Any],
) -> None:
    async with ingest_and_graph(start_ingest) as (ingest, graph):
        graph.add_lead(documented_lead())
        answer = await post_meta(ingest.client, meta.leadgen(ACME_PAGE, LEAD_ID, AT))
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcomes"] == {"accepted": 1}
        lead = (await ingest.published_with(f"leadgen:{LEAD_ID}"))[0].envelope
        assert (lead.event_name, lead.source, lead.account_id) == (
            EventName.LEAD_QUALIFIED,
            "ads",
            "acme",
        )
        assert lead.timestamp == AT
        assert lead.contact is not None
        assert (lead.contact.email, lead.contact.phone, lead.contact.name) == (
            "ada@example.com",
            "+4791234567",
            "Ada Lovelace",
        )
        # acme's configuration names the form field that holds the Why.
        assert lead.properties["prospect_why"] == "More time with my kids"
        assert graph.tokens_sent() == ["acme-page-token"]


async def test_graph_down_is_503_and_nothing_published_then_the_retry_publishes_once(
    start_ingest: Callable[..., Any],
) -> None:
    async with ingest_and_graph(start_ingest) as (ingest, graph):
        graph.add_lead(documented_lead())
        delivery = meta.leadgen(ACME_PAGE, LEAD_ID, AT)
        await graph.down()
        refused = await post_meta(ingest.client, delivery)
        assert refused.status_code == 503
        assert "retry-after" in refused.headers
        assert await ingest.published() == []
        await graph.up()
        retried = await post_meta(ingest.client, delivery)
        assert retried.status_code == 200, retried.text
        again = await post_meta(ingest.client, delivery)
        assert again.json()["outcomes"] == {"duplicate": 1}
        published = await ingest.published_with(f"leadgen:{LEAD_ID}")
        assert len(published) == 1


async def test_a_lead_the_graph_api_does_not_have_is_rejected_and_the_rest_taken(
    start_ingest: Callable[..., Any],
) -> None:
    async with ingest_and_graph(start_ingest) as (ingest, graph):
        answer = await post_meta(ingest.client, meta.leadgen(ACME_PAGE, "555555555555", AT))
        assert answer.status_code == 200
        [result] = answer.json()["results"]
        assert result["outcome"] == "rejected"
        assert "does not exist" in result["reason"] or "not found" in result["reason"].lower()
        # beta lists no page access token: its lead cannot be read, and says why.
        graph.add_lead(documented_lead(id="666666666666"))
        beta = await post_meta(ingest.client, meta.leadgen(BETA_PAGE, "666666666666", AT))
        [refused] = beta.json()["results"]
        assert (refused["account_id"], refused["outcome"]) == ("beta", "rejected")
        assert "access token" in refused["reason"]
        assert await ingest.published() == []
