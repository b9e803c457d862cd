"""Claiming identities through ingest's internal endpoint, before a customer is committed.

Ingest is the single writer of identities (docs/domain.md, 'Customers and identity'); a taken
identity is 409 naming its holder. Tests without ingest give the client another transport, so
the request and the reading of its answer stay this module's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import structlog

from crm_servicekit.problems import Conflict, FieldError, ServiceUnavailable, Unprocessable

log = structlog.get_logger(__name__)


class IngestClaims:
    """The real thing: `POST {ingest_url}/internal/identities/claim` with the service token."""

    def __init__(
        self,
        base_url: str,
        service_token: str | None,
        *,
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {service_token}"} if service_token else {}
        self._client = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout_s, transport=transport
        )

    async def claim(
        self,
        account_id: str,
        customer_id: UUID,
        identities: dict[str, Any],
        release: dict[str, Any] | None = None,
    ) -> None:
        """Make `identities` the customer's linked email, phone and handles (of each kind
        named) and release the values in `release`, or raise Conflict naming the holder of
        one (then nothing is released)."""
        body: dict[str, Any] = {
            "account_id": account_id,
            "customer_id": str(customer_id),
            "identities": identities,
        }
        if release:
            body["release"] = release
        try:
            answer = await self._client.post("/internal/identities/claim", json=body)
        except httpx.HTTPError as error:
            log.warning("identity claim failed", error=repr(error))
            raise ServiceUnavailable(
                "Identities cannot be checked right now (ingest unreachable); retry.",
                retry_after_s=2,
            ) from None
        if answer.status_code == 200:
            return
        problem = _json(answer)
        if answer.status_code == 409:
            raise Conflict(
                str(problem.get("detail") or "An identity is held by another customer."),
                holder_customer_id=problem.get("holder_customer_id"),
                identity=problem.get("identity"),
            )
        if answer.status_code == 422:
            errors = [
                FieldError(["body", *error.get("loc", [])[2:]], str(error.get("msg")))
                for error in problem.get("errors", [])
                if isinstance(error, dict)
            ]
            raise Unprocessable(str(problem.get("detail") or "Invalid identities."), errors=errors)
        log.warning("identity claim refused", status=answer.status_code, body=answer.text[:500])
        raise ServiceUnavailable("Identities cannot be checked right now; retry.", retry_after_s=2)

    async def close(self) -> None:
        await self._client.aclose()


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
