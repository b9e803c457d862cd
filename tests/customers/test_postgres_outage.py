"""PostgreSQL down: customers' routes answer 503 naming it; PostgreSQL back: served again."""

from __future__ import annotations

from openapi_fuzz import user_bearer
from outage_support import Probe, outage_and_recovery, served_behind_proxy
from served_app import ModuleServers

from .events import T
from .test_openapi_fuzz import customers_app


def test_postgres_down_is_503_on_reads_and_writes(module_servers: ModuleServers) -> None:
    probes = [
        Probe("GET", "/api/customers"),
        Probe("GET", "/api/interactions/upcoming"),
        Probe("POST", "/api/customers", ok=frozenset({201}), json={"name": "Ada Outage"}),
    ]
    with served_behind_proxy(module_servers, customers_app) as (proxy, url):
        outage_and_recovery(proxy, url, user_bearer("acme", T), probes)
