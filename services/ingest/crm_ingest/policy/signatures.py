"""Standard Webhooks signatures, checked on the raw body against every secret of the account.

The library's own ``Webhook.verify`` reads the wall clock, decodes the body as text and fails
with unexpected exceptions on malformed headers; here the tolerance uses the injected clock,
the HMAC covers the raw bytes, and every malformed header is simply "not verified".
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import hmac_data


class SignatureRefused(Exception):
    """Why a webhook is not authentic; for logs only, the client sees a plain 401."""


def signature_of(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    return hmac_data(key, f"{msg_id}.{timestamp}.".encode() + body)


def verify_signature(
    body: bytes,
    headers: Mapping[str, str],
    keys: Sequence[bytes],
    *,
    now: datetime,
    tolerance: timedelta,
) -> None:
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise SignatureRefused("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp.strip())
        sent_at = datetime.fromtimestamp(timestamp, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureRefused("webhook-timestamp is not Unix seconds") from None
    if abs(now - sent_at) > tolerance:
        raise SignatureRefused("webhook-timestamp is outside the tolerance")
    offered = list(_v1_signatures(signatures))
    if not offered:
        raise SignatureRefused("no v1 signature")
    for key in keys:
        expected = signature_of(key, msg_id, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in offered):
            return
    raise SignatureRefused("no signature matches any of the account's secrets")


def _v1_signatures(header: str) -> list[bytes]:
    found = []
    for item in header.split():
        version, _, encoded = item.partition(",")
        if version != "v1" or not encoded:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found
