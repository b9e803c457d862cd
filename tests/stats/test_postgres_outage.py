"""PostgreSQL down: the stats routes answer 503 naming it; PostgreSQL back: served again."""

from __future__ import annotations

from openapi_fuzz import user_bearer
from outage_support import Probe, outage_and_recovery, served_behind_proxy
from served_app import ModuleServers

from .test_openapi_fuzz import T0, stats_app


def test_postgres_down_is_503_on_reads(module_servers: ModuleServers) -> None:
    probes = [Probe("GET", "/api/customers/stats"), Probe("GET", "/api/events")]
    with served_behind_proxy(module_servers, stats_app) as (proxy, url):
        outage_and_recovery(proxy, url, user_bearer("acme", T0), probes)
