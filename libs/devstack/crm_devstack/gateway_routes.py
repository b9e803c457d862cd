"""The gateway's routing table: which service answers which method and path of the API.

One table feeds the nginx configuration (locally and in compose) and the test that walks
the API's paths, each with the service that owns it (tests/api_md_paths.py), through the
gateway, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SERVICE_PORTS: Final[dict[str, int]] = {
    "ingest": 8001,
    "customers": 8002,
    "rules": 8003,
    "nba": 8004,
    "stats": 8005,
}
GATEWAY_PORT: Final = 8000


@dataclass(frozen=True)
class Route:
    """An nginx location: `exact` matches the path only; otherwise the path and below."""

    path: str
    service: str  # a service name, or "by-method" for /api/events (POST ingest, GET stats)
    exact: bool = False
    streaming: bool = False  # Server-Sent Events: never buffer


ROUTES: Final[tuple[Route, ...]] = (
    Route("/api/hooks/", "ingest"),
    Route("/api/events", "by-method", exact=True),
    Route("/api/events/", "by-method"),
    Route("/api/customers/stats", "stats", exact=True),
    Route("/api/customers", "customers", exact=True),
    Route("/api/customers/", "customers"),
    Route("/api/interactions", "customers", exact=True),
    Route("/api/interactions/", "customers"),
    Route("/api/settings", "customers", exact=True),
    Route("/api/reminders", "rules", exact=True),
    Route("/api/reminders/", "rules"),
    Route("/api/nba", "nba", exact=True),
    Route("/api/nba/", "nba"),
    Route("/api/coaching", "nba", exact=True),
    Route("/api/stats/", "stats"),
    Route("/api/ticker", "stats", exact=True),
    Route("/api/ticker/stream", "stats", exact=True, streaming=True),
    # The API's documents and Swagger UI (its assets below /api/docs/), all served by ingest.
    Route("/api/openapi.json", "ingest", exact=True),
    Route("/api/asyncapi.json", "ingest", exact=True),
    Route("/api/docs", "ingest", exact=True),
    Route("/api/docs/", "ingest"),
)

# POST /api/events and /api/events/batch are ingest's; every GET of /api/events... is the
# event log of stats (docs/architecture.md, the gateway).
EVENTS_BY_METHOD: Final[dict[str, str]] = {"POST": "ingest"}
EVENTS_DEFAULT: Final = "stats"


def service_for(method: str, path: str) -> str | None:
    """Which service the gateway sends a request to (None: the gateway answers 404)."""
    # nginx's own precedence: an exact location wins, else the longest ^~ prefix.
    exact = [r for r in ROUTES if r.exact and r.path == path]
    prefixes = [r for r in ROUTES if not r.exact and path.startswith(r.path)]
    best = exact[0] if exact else max(prefixes, key=lambda r: len(r.path), default=None)
    if best is None:
        return None
    if best.service == "by-method":
        return EVENTS_BY_METHOD.get(method.upper(), EVENTS_DEFAULT)
    return best.service
