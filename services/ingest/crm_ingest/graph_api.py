"""The Graph API client: Lead Ads answers are read from Meta.

A Lead Ads notification carries only ids; the answers are read with
`GET {graph_base}/{leadgen_id}?access_token=...&fields=...` using the page's access token.
Meta answers errors as `{"error": {"message", "type", "code", "error_subcode", ...}}`, almost
always with HTTP 400, so the error code decides, not the status.

Two outcomes besides the lead: `LeadNotFound` (a value: Meta says the object does not exist,
so the item is rejected) and `GraphUnavailable` (raised: the delivery answers 503 and Meta
retries it). Everything that a later retry may fix (Meta down or throttling, an expired
token, a missing permission) is unavailable, never "not found", so no lead is dropped while
an account's configuration is being repaired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

# What the mapper needs from a lead (field_data holds the form's answers).
LEAD_FIELDS = "id,created_time,field_data,ad_id,form_id,campaign_id"

# Meta's documented error codes for "a temporary issue, wait and retry": unknown (1),
# service (2), too many calls (4, 17, 32, 341, 613), temporarily blocked (368).
_TEMPORARY_CODES = frozenset({1, 2, 4, 17, 32, 341, 368, 613})
# Business use case rate limits (80005 is LeadGen's) are numbered from 80000.
_USE_CASE_LIMITS = range(80000, 80100)
# "Object with ID ... does not exist": code 100 with subcode 33.
_NO_SUCH_OBJECT = (100, 33)
# An access token expired, revoked or invalid (190), or a session error (102).
_TOKEN_CODES = frozenset({102, 190})
# Permission denied (10) and the permission errors 200-299.
_PERMISSION_CODES = frozenset({10, *range(200, 300)})

# Graph object ids are numeric; anything else could change the path the token is sent to.
_OBJECT_ID = re.compile(r"[0-9A-Za-z_]+")


class GraphUnavailable(Exception):
    """The lead cannot be read now; the delivery is answered 503 so Meta retries it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LeadNotFound:
    """Meta answered that the lead does not exist: the item is rejected with this reason."""

    reason: str


class _GraphError(BaseModel):
    message: str = ""
    type: str = ""
    code: int | None = None
    error_subcode: int | None = None
    is_transient: bool = False
    fbtrace_id: str | None = None


class _ErrorAnswer(BaseModel):
    error: _GraphError


class GraphApi:
    """Reads Lead Ads answers from the Graph API at `base_url` (the version included)."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def lead(self, leadgen_id: str, access_token: str) -> dict[str, Any] | LeadNotFound:
        """The lead's JSON (id, created_time, field_data, ...), or LeadNotFound; raises
        GraphUnavailable when a retry may succeed."""
        if not _OBJECT_ID.fullmatch(leadgen_id):
            return LeadNotFound(f"leadgen_id {leadgen_id!r} is not a Graph object id")
        try:
            answer = await self._client.get(
                f"{self._base_url}/{leadgen_id}",
                params={"access_token": access_token, "fields": LEAD_FIELDS},
            )
        except httpx.TimeoutException as error:
            raise GraphUnavailable(
                f"the Graph API did not answer within {self._timeout_s:g} s"
            ) from error
        except httpx.TransportError as error:
            # The error's text may hold the URL, and the URL the token: name the kind only.
            raise GraphUnavailable(
                f"the Graph API cannot be reached ({type(error).__name__})"
            ) from error
        return _judged(leadgen_id, answer)

    async def aclose(self) -> None:
        await self._client.aclose()

    @property
    def closed(self) -> bool:
        return self._client.is_closed


def _judged(leadgen_id: str, answer: httpx.Response) -> dict[str, Any] | LeadNotFound:
    status = answer.status_code
    if status == 429 or status >= 500:
        raise GraphUnavailable(f"the Graph API answered HTTP {status}")
    try:
        body = answer.json()
    except ValueError:
        raise GraphUnavailable(
            f"the Graph API answered HTTP {status} with a body that is not JSON"
        ) from None
    if status == 200 and isinstance(body, dict) and "error" not in body:
        return body
    try:
        error = _ErrorAnswer.model_validate(body).error
    except ValidationError:
        raise GraphUnavailable(
            f"the Graph API answered HTTP {status} with neither a lead nor an error object"
        ) from None
    return _judged_error(leadgen_id, status, error)


def _judged_error(leadgen_id: str, status: int, error: _GraphError) -> LeadNotFound:
    said = f"Graph error {error.code}/{error.error_subcode}: {error.message}"
    if status in (400, 404) and (error.code, error.error_subcode) == _NO_SUCH_OBJECT:
        return LeadNotFound(f"Meta has no lead {leadgen_id} ({said})")
    if error.code in _TOKEN_CODES:
        raise GraphUnavailable(
            f"Meta refused the page access token ({said}); "
            "renew the account's page_access_token and Meta's retry will succeed"
        )
    if error.code in _PERMISSION_CODES:
        raise GraphUnavailable(
            f"the page access token lacks a permission to read leads ({said}); "
            "grant leads_retrieval and Meta's retry will succeed"
        )
    if error.is_transient or error.code in _TEMPORARY_CODES or error.code in _USE_CASE_LIMITS:
        raise GraphUnavailable(f"the Graph API is throttling or temporarily failing ({said})")
    raise GraphUnavailable(f"the Graph API refused to read the lead: HTTP {status}, {said}")
