"""Bearer tokens a hostile client would try, next to the real ones of accounts A and B.

Every kind here must be refused with 401: signed with another secret, expired, not valid yet
(`nbf` ahead of the server's clock), issued in the future, without `exp`, with the algorithm
swapped ("none", HS512), for an account the server does not have, or not a JWT at all.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from crm_servicekit.auth import Role, mint_token
from crm_servicekit.clock import FixedClock
from crm_servicekit.settings import ServiceSettings

SECRET = ServiceSettings(environment="test").jwt_secret.get_secret_value()
ANOTHER_SECRET = "not-the-servers-secret-but-long-enough-0123456789"


def _b64(document: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def _claims(at: datetime, **changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "attacker",
        "account_id": "acme",
        "iat": int(at.timestamp()),
        "exp": int((at + timedelta(hours=1)).timestamp()),
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _hs512(claims: dict[str, Any]) -> str:
    """The right secret under an algorithm the server never chose."""
    with warnings.catch_warnings():
        # PyJWT warns that the secret is short for SHA-512; that is not what this token tests.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, SECRET, algorithm="HS512")


FORGED: dict[str, Callable[[datetime], str]] = {
    "forged-signature": lambda at: jwt.encode(_claims(at), ANOTHER_SECRET, algorithm="HS256"),
    "expired": lambda at: jwt.encode(
        _claims(at, iat=_stamp(at - timedelta(hours=2)), exp=_stamp(at - timedelta(seconds=1))),
        SECRET,
        algorithm="HS256",
    ),
    "not-yet-valid": lambda at: jwt.encode(
        _claims(at, nbf=_stamp(at + timedelta(hours=1)), exp=_stamp(at + timedelta(hours=2))),
        SECRET,
        algorithm="HS256",
    ),
    "issued-in-the-future": lambda at: jwt.encode(
        _claims(at, iat=_stamp(at + timedelta(days=1)), exp=_stamp(at + timedelta(days=2))),
        SECRET,
        algorithm="HS256",
    ),
    "without-exp": lambda at: jwt.encode(_claims(at, exp=None), SECRET, algorithm="HS256"),
    "alg-none": lambda at: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(at))}.",
    "alg-hs512": lambda at: _hs512(_claims(at)),
    "unknown-account": lambda at: jwt.encode(
        _claims(at, account_id="no-such-account"), SECRET, algorithm="HS256"
    ),
    "not-a-jwt": lambda at: "not.a.jwt",
}


def bearer(account: str, at: datetime, role: Role = Role.MEMBER) -> dict[str, str]:
    """A real token of `account`, valid at `at` (the served app's fixed clock)."""
    token = mint_token(
        SECRET, account, "marketer", timedelta(days=30), role=role, clock=FixedClock(at)
    )
    return {"Authorization": f"Bearer {token}"}


def credentials_at(
    at: datetime, service_token: str | None = None
) -> Callable[[str], dict[str, str]]:
    """The headers of a case's `auth`: an account's real token (a member's, or an admin's as
    "admin:<account>"), a forged kind, "service" (the internal endpoints' token), or "basic"
    (not a bearer scheme at all)."""

    def headers(auth: str) -> dict[str, str]:
        if auth in FORGED:
            return {"Authorization": f"Bearer {FORGED[auth](at)}"}
        if auth == "service":
            assert service_token is not None
            return {"Authorization": f"Bearer {service_token}"}
        if auth == "basic":
            return {"Authorization": "Basic YWNtZTphY21l"}
        if auth.startswith("admin:"):
            return bearer(auth.removeprefix("admin:"), at, Role.ADMIN)
        return bearer(auth, at)

    return headers
