"""The connector configuration of the ingest tests' accounts, and provider-signed posts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from crm_ingest.policy.connectors.signatures import (
    calcom_signature,
    calendly_signature,
    meta_signature,
)
from crm_servicekit.account_connectors import Connectors

# The deployment's Meta app (acme and beta use it) and one account's own app (solo).
META_SECRET, META_OLD_SECRET = "deployment-meta-app-secret", "deployment-meta-old-secret"
SOLO_META_SECRET = "solo-own-meta-app-secret"
VERIFY_TOKEN = "frazer-verify-token"
CALENDLY_KEY, CALENDLY_OLD_KEY = "acme-calendly-signing-key", "acme-calendly-old-key"
CALCOM_SECRET = "acme-calcom-secret"

ACME_PAGE, ACME_IG, ACME_WA = "1000000001", "17841400000001", "106540352242922"
# The ids of the providers' documented examples (connector_payloads/), also acme's.
DOCUMENTED_PAGE, DOCUMENTED_IG = "682498302938465", "17841400000"
BETA_PAGE, BETA_IG = "2000000002", "17841400000002"
SOLO_PAGE = "3000000003"
UNKNOWN_PAGE = "9999999999"

CONNECTORS: dict[str, Connectors] = {
    "acme": Connectors.model_validate(
        {
            "meta": {
                "page_ids": [ACME_PAGE, DOCUMENTED_PAGE],
                "instagram_account_ids": [ACME_IG, DOCUMENTED_IG],
                "whatsapp_phone_number_ids": [ACME_WA],
                "page_access_token": "acme-page-token",
                "lead_why_question": "why_join",
            },
            "calendly": {"signing_keys": [CALENDLY_KEY, CALENDLY_OLD_KEY]},
            "calcom": {"secrets": [CALCOM_SECRET]},
        }
    ),
    "beta": Connectors.model_validate(
        {"meta": {"page_ids": [BETA_PAGE], "instagram_account_ids": [BETA_IG]}}
    ),
    "solo": Connectors.model_validate(
        {"meta": {"app_secrets": [SOLO_META_SECRET], "page_ids": [SOLO_PAGE]}}
    ),
}
# What start_ingest(**META_SETTINGS) gives the service.
META_SETTINGS: dict[str, Any] = {
    "meta_app_secrets": (META_SECRET, META_OLD_SECRET),
    "meta_verify_tokens": (VERIFY_TOKEN,),
}


def _raw(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


async def post_meta(
    client: httpx.AsyncClient, body: Any, secret: str = META_SECRET
) -> httpx.Response:
    raw = _raw(body)
    headers = {
        "content-type": "application/json",
        "x-hub-signature-256": meta_signature(raw, secret),
    }
    return await client.post("/api/hooks/meta", content=raw, headers=headers)


async def post_calendly(
    client: httpx.AsyncClient,
    body: Any,
    *,
    account: str = "acme",
    at: datetime,
    key: str = CALENDLY_KEY,
) -> httpx.Response:
    """Signed at `at` (the service's clock in tests; Calendly's `t` must be within 5 min)."""
    raw = _raw(body)
    stamp = int(at.timestamp())
    headers = {
        "content-type": "application/json",
        "calendly-webhook-signature": calendly_signature(raw, key, stamp),
    }
    return await client.post(f"/api/hooks/calendly/{account}", content=raw, headers=headers)


async def post_calcom(
    client: httpx.AsyncClient, body: Any, *, account: str = "acme", secret: str = CALCOM_SECRET
) -> httpx.Response:
    raw = _raw(body)
    headers = {
        "content-type": "application/json",
        "x-cal-signature-256": calcom_signature(raw, secret),
    }
    return await client.post(f"/api/hooks/calcom/{account}", content=raw, headers=headers)
