"""A started ingest reads leads from the Graph API its settings name, and closes that client
when it stops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crm_ingest.api.wiring import Wiring
from crm_ingest.main import build_app
from crm_servicekit.accounts import load_accounts
from crm_servicekit.clock import FixedClock
from crm_servicekit.runtime import Resources

from .conftest import accounts_file, ingest_settings
from .graph_server import GraphServer, fixture, lead_fixture
from .support import T0


async def test_ingest_reads_leads_from_the_configured_graph_api_and_closes_it_at_shutdown(
    new_database: str,
    kafka_bootstrap: str,
    redis_url: str,
    new_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    async with GraphServer() as graph:
        graph.add_lead(lead_fixture())
        settings = ingest_settings(
            new_database,
            kafka_bootstrap,
            redis_url,
            new_topic(partitions=1),
            accounts_file(tmp_path),
            graph_api_base=graph.base_url,
            graph_timeout_s=2.0,
        )
        app = build_app(
            settings, clock=FixedClock(T0), accounts=load_accounts(tmp_path / "accounts.yaml")
        )

        async with app.router.lifespan_context(app):
            resources = app.state.resources
            assert isinstance(resources, Resources)
            wiring = resources.wiring
            assert isinstance(wiring, Wiring)
            lead = await wiring.graph_api.lead("444444444444", "EAAG-token")
            assert lead == fixture("graph_lead.json")
            assert not wiring.graph_api.closed

        assert wiring.graph_api.closed
        assert graph.tokens_sent() == ["EAAG-token"]
