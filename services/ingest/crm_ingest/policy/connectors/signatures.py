"""The providers' own webhook signatures, checked on the raw bytes before any parsing (pure).

Each check compares in constant time and refuses with one exception only, whatever the header
or body holds, so that a caller answers 401 for any refusal and never a 500. The signers are the
same computations, for tests and tooling.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

META_PREFIX = "sha256="


class ConnectorSignatureRefused(Exception):
    """Why a provider's delivery is not authentic; for logs only, the provider sees a 401."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hex_hmac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _matches(expected: str, offered: str) -> bool:
    # compare_digest refuses non-ASCII str, so any header text is compared as bytes.
    return hmac.compare_digest(expected.encode(), offered.encode("utf-8", "surrogatepass"))


def meta_signature(raw: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` header Meta sends for this body and app secret."""
    return META_PREFIX + _hex_hmac(secret, raw)


def verify_meta(raw: bytes, header: str | None, secrets: Sequence[str]) -> str:
    """The app secret that signed the body: the caller takes only the entries of accounts that
    trust that secret."""
    if not header:
        raise ConnectorSignatureRefused("missing X-Hub-Signature-256")
    scheme, _, offered = header.strip().partition("=")
    if scheme.lower() != "sha256" or not offered:
        raise ConnectorSignatureRefused("X-Hub-Signature-256 is not sha256=<hex>")
    for secret in secrets:
        if secret and _matches(_hex_hmac(secret, raw), offered.lower()):
            return secret
    raise ConnectorSignatureRefused("no configured Meta app secret signed this body")


def calendly_signature(raw: bytes, key: str, t: int) -> str:
    """The `Calendly-Webhook-Signature` header Calendly sends for this body, key and time."""
    return f"t={t},v1={_hex_hmac(key, f'{t}.'.encode() + raw)}"


def verify_calendly(
    raw: bytes,
    header: str | None,
    signing_keys: Sequence[str],
    *,
    now: datetime,
    tolerance: timedelta,
) -> None:
    """Calendly signs `"{t}.{body}"`; `t` (Unix seconds) must be within the tolerance of now
    either way, so that a captured delivery cannot be replayed later."""
    if not header:
        raise ConnectorSignatureRefused("missing Calendly-Webhook-Signature")
    stamps: list[str] = []
    offered: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            stamps.append(value.strip())
        elif name == "v1" and value.strip():
            offered.append(value.strip().lower())
    if len(stamps) != 1 or not offered:
        raise ConnectorSignatureRefused("Calendly-Webhook-Signature is not t=<unix>,v1=<hex>")
    stamp = stamps[0]
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 11:
        raise ConnectorSignatureRefused("Calendly-Webhook-Signature t is not Unix seconds")
    sent_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    if abs(now - sent_at) > tolerance:
        raise ConnectorSignatureRefused("Calendly-Webhook-Signature t is outside the tolerance")
    message = f"{stamp}.".encode() + raw
    for key in signing_keys:
        if not key:
            continue
        expected = _hex_hmac(key, message)
        if any(_matches(expected, candidate) for candidate in offered):
            return
    raise ConnectorSignatureRefused("no signing key of the account signed this body")


def calcom_signature(raw: bytes, secret: str) -> str:
    """The `X-Cal-Signature-256` header Cal.com sends for this body and secret."""
    return _hex_hmac(secret, raw)


def verify_calcom(raw: bytes, header: str | None, secrets: Sequence[str]) -> None:
    if not header or not header.strip():
        raise ConnectorSignatureRefused("missing X-Cal-Signature-256")
    offered = header.strip().lower()
    for secret in secrets:
        if secret and _matches(_hex_hmac(secret, raw), offered):
            return
    raise ConnectorSignatureRefused("no secret of the account signed this body")
