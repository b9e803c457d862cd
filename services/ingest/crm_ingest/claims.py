"""The internal claim endpoint: the customers service claims identities before it commits."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from crm_ingest import repository as repo
from crm_ingest.identities import ClaimedIdentities, Identity, claim_identities
from crm_ingest.policy import InvalidEvent, normalize_contact
from crm_servicekit.auth import ServiceTokenRequired
from crm_servicekit.openapi_problems import problems
from crm_servicekit.problems import Conflict, FieldError, Unprocessable
from crm_servicekit.runtime import resources

router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[ServiceTokenRequired])


class ClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(min_length=1, max_length=128)
    customer_id: UUID
    identities: ClaimedIdentities


class ClaimAnswer(BaseModel):
    customer_id: UUID
    claimed: list[dict[str, str]]


@router.post("/identities/claim", response_model=ClaimAnswer, responses=problems(409))
async def claim(request: Request, body: ClaimRequest) -> ClaimAnswer:
    """Link the identities to the customer, or 409 naming the live customer holding one."""
    res = resources(request)
    account = res.accounts.get(body.account_id)
    if account is None:
        raise Unprocessable(
            "Unknown account.", errors=[FieldError(["body", "account_id"], "unknown account")]
        )
    try:
        # Normalized again (it is idempotent), so a caller's slip cannot split a person in two.
        checked = normalize_contact(
            body.identities.as_contact(), account.default_region, ["body", "identities"]
        )
        # A claim names identities to hold, so a phone that is no valid number is refused
        # rather than left off as in an event.
        if checked.phone_refused is not None:
            raise InvalidEvent([checked.phone_refused])
    except InvalidEvent as invalid:
        raise Unprocessable("Invalid identities.", errors=invalid.errors) from None
    identities = claim_identities(
        ClaimedIdentities(
            **checked.contact.model_dump(include={"email", "phone", "handles", "external_id"})
        )
    )
    now = res.clock.now()
    async with res.pool.acquire() as conn, conn.transaction():
        if await repo.is_deleted(conn, body.account_id, body.customer_id):
            raise Unprocessable(
                "Deleted customer.",
                errors=[FieldError(["body", "customer_id"], "deleted customer")],
            )
        owner = await repo.remember_customer(conn, body.account_id, body.customer_id, now)
        if owner != body.account_id:
            raise Unprocessable(
                "Unknown customer.",
                errors=[FieldError(["body", "customer_id"], "unknown customer")],
            )
        linked = await repo.linked_customers(conn, body.account_id, identities)
        _refuse_held(linked, body.customer_id)
        unlinked = [i for i in identities if i not in linked]
        won = await repo.link_identities(conn, body.account_id, unlinked, body.customer_id, now)
        if len(won) != len(unlinked):  # another claim or event linked one meanwhile
            _refuse_held(
                await repo.linked_customers(conn, body.account_id, identities), body.customer_id
            )
    return ClaimAnswer(
        customer_id=body.customer_id, claimed=[identity.as_json() for identity in identities]
    )


def _refuse_held(linked: dict[Identity, UUID], customer_id: UUID) -> None:
    held = sorted(identity for identity, holder in linked.items() if holder != customer_id)
    if held:
        first = held[0]
        raise Conflict(
            f"The {first.kind.label} is held by another customer.",
            holder_customer_id=str(linked[first]),
            identity=first.as_json(),
        )
