"""The internal claim endpoint: the customers service claims identities before it commits."""

from __future__ import annotations

from fastapi import APIRouter

from crm_ingest.api.wiring import WiringDep
from crm_ingest.schemas import ClaimAnswer, ClaimRequest
from crm_ingest.service.claims import ClaimRaced, ClaimRefused, IdentityHeld
from crm_servicekit.auth import ServiceTokenRequired
from crm_servicekit.openapi_problems import problems
from crm_servicekit.problems import Conflict, ServiceUnavailable, Unprocessable

# Service to service only, never routed by the gateway: left out of every published document.
router = APIRouter(
    prefix="/internal",
    tags=["internal"],
    dependencies=[ServiceTokenRequired],
    include_in_schema=False,
)


@router.post("/identities/claim", response_model=ClaimAnswer, responses=problems(409, 503))
async def claim(body: ClaimRequest, wiring: WiringDep) -> ClaimAnswer:
    """Make the identities the customer's linked set (releasing the other value of each kind
    named, and the values in `release`), or 409 naming the live customer holding one."""
    try:
        return await wiring.claims.claim(body)
    except ClaimRefused as refused:
        raise Unprocessable(refused.title, errors=refused.errors) from None
    except IdentityHeld as held:
        raise Conflict(
            f"The {held.identity.kind.label} is held by another customer.",
            holder_customer_id=str(held.holder),
            identity=held.identity.as_json(),
        ) from None
    except ClaimRaced:
        raise ServiceUnavailable(
            "Events kept linking identities to the customer meanwhile; retry.", retry_after_s=1
        ) from None
