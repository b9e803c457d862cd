"""The internal claim endpoint: the customers service claims identities before it commits."""

from __future__ import annotations

from fastapi import APIRouter

from crm_ingest.api.wiring import WiringDep
from crm_ingest.schemas import ClaimAnswer, ClaimRequest
from crm_servicekit.auth import ServiceTokenRequired
from crm_servicekit.openapi_problems import problems

router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[ServiceTokenRequired])


@router.post("/identities/claim", response_model=ClaimAnswer, responses=problems(409))
async def claim(body: ClaimRequest, wiring: WiringDep) -> ClaimAnswer:
    """Link the identities to the customer, or 409 naming the live customer holding one."""
    return await wiring.claims.claim(body)
