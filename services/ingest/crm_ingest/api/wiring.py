"""What the routes use, built once by main.py's `wire` when the service starts.

The collaborators need the pool, the producer and Redis, which exist only once the runtime
has started; the runtime calls `wire` then and keeps the result with its resources, and
routes take it as a typed dependency (not FastAPI's dependency overrides, which make FastAPI
inspect every dependency of every request again, about 20 µs each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from crm_ingest.api.callers import Gate
from crm_ingest.graph_api import GraphApi
from crm_ingest.service.account_settings import SettingsCache
from crm_ingest.service.claims import Claims
from crm_ingest.service.connectors import ConnectorIngestion
from crm_ingest.service.deliveries import Deliveries
from crm_ingest.service.events import Ingestion
from crm_ingest.settings import IngestSettings
from crm_servicekit.runtime import wired


@dataclass(frozen=True)
class Wiring:
    settings: IngestSettings
    # Who is calling and whether they may: token or webhook signature, then the rate limit.
    gate: Gate
    ingestion: Ingestion
    claims: Claims
    # The providers' own webhooks (docs/connectors.md).
    connectors: ConnectorIngestion
    # Reads Lead Ads answers from Meta; closed at shutdown by main.py.
    graph_api: GraphApi
    # The webhook deliveries log: every hook and connector records what its items came to.
    deliveries: Deliveries
    # The accounts' settings histories the requests apply; the consumer forgets a changed one.
    account_settings: SettingsCache


WiringDep = Annotated[Wiring, Depends(wired(Wiring))]
