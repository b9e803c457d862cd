"""Sending a provider's own delivery as the provider does: signed its way (Meta
`X-Hub-Signature-256`, Calendly `Calendly-Webhook-Signature`, Cal.com `X-Cal-Signature-256`),
and for a booking tool with the reference of the booking link the CRM gave the customer
(`GET /api/customers/{id}/booking-link`), which the tool hands back in its payload."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from crm_backtest.client import Credentials, Gateway, monotonic
from crm_backtest.history import Delivery

SCHEDULING_URLS = {
    "calendly": "https://calendly.com/{account}/opportunity-call",
    "calcom": "https://cal.com/{account}/opportunity-call",
}
# How long a booking waits for the customers service to know a customer ingest just made.
BOOKING_LINK_PATIENCE_S = 120.0


class MissingSecret(RuntimeError):
    """The state folder's secrets.json names no secret for this provider."""


def _hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def meta_headers(app_secret: str, raw: bytes) -> dict[str, str]:
    return {"X-Hub-Signature-256": f"sha256={_hex(app_secret, raw)}"}


def calendly_headers(signing_key: str, raw: bytes, now: float | None = None) -> dict[str, str]:
    t = int(time.time() if now is None else now)
    v1 = _hex(signing_key, f"{t}.".encode() + raw)
    return {"Calendly-Webhook-Signature": f"t={t},v1={v1}"}


def calcom_headers(secret: str, raw: bytes) -> dict[str, str]:
    return {"X-Cal-Signature-256": _hex(secret, raw)}


def _signer(credentials: Credentials, route: str) -> Callable[[bytes], dict[str, str]]:
    secrets: dict[str, tuple[str | None, Callable[[str, bytes], dict[str, str]]]] = {
        "meta": (credentials.meta_app_secret, meta_headers),
        "calendly": (credentials.calendly_signing_key, calendly_headers),
        "calcom": (credentials.calcom_secret, calcom_headers),
    }
    secret, headers = secrets[route]
    if secret is None:
        raise MissingSecret(f"no secret for {route} deliveries in the credentials")
    return lambda raw: headers(secret, raw)


def with_reference(body: dict[str, Any], route: str, link: str) -> dict[str, Any]:
    """The tool's payload carrying what the booking link passed: Calendly keeps the link's
    `utm_content` in `payload.tracking`; Cal.com puts each `metadata[key]=value` of the link
    in `payload.metadata` (the no-show trigger carries no booking, so nothing)."""
    query = parse_qsl(urlsplit(link).query)
    filled = copy.deepcopy(body)
    payload = filled["payload"]
    if route == "calendly":
        payload["tracking"]["utm_content"] = dict(query).get("utm_content")
    elif "metadata" in payload:
        for key, value in query:
            if key.startswith("metadata[") and key.endswith("]"):
                payload["metadata"][key[len("metadata[") : -1]] = value
    return filled


async def booking_link(gateway: Gateway, delivery: Delivery, customer_id: str) -> str | None:
    """The booking link for this customer, asked until customers knows them (it answers 404
    until it has consumed the customer's first event); None if it never gave one."""
    path = f"/customers/{customer_id}/booking-link"
    url = SCHEDULING_URLS[delivery.route].format(account=delivery.account_id)
    deadline = monotonic() + BOOKING_LINK_PATIENCE_S
    delay = 0.05
    while True:
        response = await gateway.request("GET", path, delivery.account_id, params={"url": url})
        if response.status_code == 200:
            return str(response.json()["url"])
        if response.status_code != 404 or monotonic() >= deadline:
            return None
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 1.0)


async def send_provider(gateway: Gateway, delivery: Delivery, link: str | None) -> httpx.Response:
    """POST the delivery to its connector; `link`: the customer's booking link (booking tools)."""
    body = delivery.body
    if delivery.route == "meta":
        path = "/hooks/meta"
    else:
        path = f"/hooks/{delivery.route}/{delivery.account_id}"
        if link is not None:
            body = with_reference(body, delivery.route, link)
    raw = json.dumps(body, separators=(",", ":")).encode()
    return await gateway.signed(path, raw, _signer(gateway.credentials, delivery.route))


def connector_answer(response: httpx.Response) -> tuple[str, str | None, Any]:
    """(status, customer id, detail) of a connector's answer for a one-item delivery: the
    item's outcome (accepted, duplicate, ignored, rejected, failed), or `rejected` for a 4xx
    and `error` for a 5xx."""
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if response.status_code >= 500:
        return "error", None, body
    if response.status_code != 200 or not isinstance(body, dict):
        return "rejected", None, body
    results = body.get("results") or []
    if len(results) != 1:
        return "rejected", None, body
    result = results[0]
    status = str(result.get("outcome"))
    detail = None if status in ("accepted", "duplicate") else result
    return status, result.get("customer_id"), detail
