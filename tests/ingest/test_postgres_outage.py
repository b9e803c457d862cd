"""PostgreSQL down: ingest's event routes answer 503 naming it; PostgreSQL back: served again."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from openapi_fuzz import user_bearer
from outage_support import Probe, outage_and_recovery, served_behind_proxy
from served_app import ModuleServers

from .support import T0
from .test_openapi_fuzz import ingest_app


def fresh_event() -> dict[str, Any]:
    return {
        "event_name": "INVITE_SENT",
        "event_id": f"outage-{uuid.uuid4().hex[:12]}",
        "timestamp": (T0 - timedelta(minutes=1)).isoformat(),
        "user_id": "outage-prospect",
    }


def test_postgres_down_is_503_on_single_events_and_batches(module_servers: ModuleServers) -> None:
    probes = [
        Probe("POST", "/api/events", ok=frozenset({202}), body=fresh_event),
        Probe("POST", "/api/events/batch", body=lambda: {"events": [fresh_event()]}),
    ]
    with served_behind_proxy(module_servers, ingest_app) as (proxy, url):
        outage_and_recovery(proxy, url, user_bearer("acme", T0), probes)
