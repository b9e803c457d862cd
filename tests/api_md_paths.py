"""The API's endpoints, each with the service that owns it: what the gateway tests and the
generated deploy files are checked against (written by hand, not from the routing table, so
a path the table misses is caught).

Shared by tests/devstack and tests/deploy; pytest puts tests/ on the import path for both.
"""

from __future__ import annotations

C = "7d6f2a8c-0d1e-4a55-9b1f-3f1c2e4d5a6b"
# A customer, interaction or reminder id in a path.
API_PATHS = [
    ("POST", "/api/hooks/dm", "ingest"),
    ("POST", "/api/hooks/capi/lead", "ingest"),
    ("GET", "/api/hooks/deliveries", "ingest"),
    ("POST", "/api/events", "ingest"),
    ("POST", "/api/events/batch", "ingest"),
    ("GET", "/api/customers", "customers"),
    ("POST", "/api/customers", "customers"),
    ("GET", f"/api/customers/{C}", "customers"),
    ("PUT", f"/api/customers/{C}", "customers"),
    ("DELETE", f"/api/customers/{C}", "customers"),
    ("POST", f"/api/customers/{C}/next-stage", "customers"),
    ("GET", f"/api/interactions/customer/{C}", "customers"),
    ("POST", "/api/interactions", "customers"),
    ("PUT", f"/api/interactions/{C}", "customers"),
    ("DELETE", f"/api/interactions/{C}", "customers"),
    ("GET", "/api/interactions/upcoming", "customers"),
    ("GET", "/api/settings", "customers"),
    ("PUT", "/api/settings", "customers"),
    ("GET", "/api/reminders/due", "rules"),
    ("GET", "/api/reminders/upcoming", "rules"),
    ("GET", "/api/reminders", "rules"),
    ("GET", f"/api/reminders/{C}", "rules"),
    ("POST", "/api/reminders", "rules"),
    ("POST", f"/api/reminders/{C}/complete", "rules"),
    ("POST", f"/api/reminders/{C}/snooze", "rules"),
    ("DELETE", f"/api/reminders/{C}", "rules"),
    ("GET", "/api/nba", "nba"),
    ("GET", f"/api/nba/customer/{C}", "nba"),
    ("POST", "/api/nba/analyze", "nba"),
    ("GET", "/api/coaching", "nba"),
    ("GET", "/api/customers/stats", "stats"),
    ("GET", "/api/stats/dmo", "stats"),
    ("GET", "/api/events", "stats"),
    ("GET", f"/api/events/customer/{C}", "stats"),
    ("GET", "/api/events/type/NO_SHOW", "stats"),
    ("GET", "/api/ticker", "stats"),
    ("GET", "/api/ticker/stream", "stats"),
    ("GET", "/api/openapi.json", "ingest"),
    ("GET", "/api/asyncapi.json", "ingest"),
    ("GET", "/api/docs", "ingest"),
]
