"""What the routes use, built once by main.py when the service starts, as a typed dependency.

The collaborators need the pool, the producer and Redis, which exist only once the runtime
has started; main.py builds them then and provides them for its app. They are kept per app
in a typed table rather than in FastAPI's dependency overrides, which make FastAPI inspect
every dependency of every request again (about 20 µs each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import Depends, FastAPI, Request

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


_PROVIDED: WeakKeyDictionary[FastAPI, Wiring] = WeakKeyDictionary()


def provide(app: FastAPI, wiring: Wiring) -> None:
    _PROVIDED[app] = wiring


def withdraw(app: FastAPI) -> None:
    _PROVIDED.pop(app, None)


async def provided(request: Request) -> Wiring:
    found = _PROVIDED.get(request.app)
    if found is None:
        raise RuntimeError("ingest is not started: main.py provides its wiring at start-up")
    return found


WiringDep = Annotated[Wiring, Depends(provided)]
