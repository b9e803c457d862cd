"""What the routes use, built once by main.py when the service starts, as a typed dependency.

The collaborators need the pool, the producer and Redis, which exist only once the runtime
has started; main.py builds them then and provides them in place of `wiring`, which stands
for them until it does (FastAPI's per-app dependency overrides).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from crm_ingest.api.callers import Gate
from crm_ingest.service.claims import Claims
from crm_ingest.service.events import Ingestion
from crm_ingest.settings import IngestSettings


@dataclass(frozen=True)
class Wiring:
    settings: IngestSettings
    # Who is calling and whether they may: token or webhook signature, then the rate limit.
    gate: Gate
    ingestion: Ingestion
    claims: Claims


async def wiring() -> Wiring:
    raise RuntimeError("ingest is not started: main.py provides its wiring at start-up")


WiringDep = Annotated[Wiring, Depends(wiring)]
