"""How webhook providers sign what they send, for sending provider-signed test deliveries.

Each is an HMAC-SHA256 in hex over the raw body bytes, keyed by the shared secret:
Meta's `X-Hub-Signature-256: sha256=<hex>` (the app secret), Calendly's
`Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex of "{t}.{body}">` (the subscription's
signing key) and Cal.com's `X-Cal-Signature-256: <hex>` (the webhook's secret).
"""

from __future__ import annotations

import hashlib
import hmac

META_SIGNATURE_HEADER = "X-Hub-Signature-256"
CALENDLY_SIGNATURE_HEADER = "Calendly-Webhook-Signature"
CALCOM_SIGNATURE_HEADER = "X-Cal-Signature-256"


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def meta_signature(body: bytes, app_secret: str) -> str:
    return f"sha256={hmac_sha256_hex(app_secret, body)}"


def calendly_signature(body: bytes, signing_key: str, timestamp: int) -> str:
    return f"t={timestamp},v1={hmac_sha256_hex(signing_key, f'{timestamp}.'.encode() + body)}"


def calcom_signature(body: bytes, secret: str) -> str:
    return hmac_sha256_hex(secret, body)
