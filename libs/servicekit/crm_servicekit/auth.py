"""Bearer authentication: HS256 JWTs for people, a shared token for service-to-service calls."""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Final

import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from crm_servicekit.accounts import Account
from crm_servicekit.clock import SYSTEM_CLOCK, Clock
from crm_servicekit.problem_handlers import authenticates_first
from crm_servicekit.problems import Forbidden, Unauthorized
from crm_servicekit.service_context import service_context

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ("exp", "sub", "account_id")
# An unknown account gets the same answer as a forged token, so account ids cannot be probed.
_INVALID_TOKEN = "Invalid or expired token."
# How far ahead of this service's clock a token's nbf and iat may be: the clock of whoever
# minted it may run a little ahead (the service's `jwt_leeway_s` setting).
DEFAULT_LEEWAY = timedelta(seconds=60)
STREAM_TOKEN_PARAMETER = "access_token"

log = structlog.get_logger(__name__)


class Role(StrEnum):
    """A person's role in their account (docs/api.md, Roles): only an admin changes the
    account's settings."""

    MEMBER = "member"
    ADMIN = "admin"


class InvalidToken(Exception):
    """The token cannot be trusted; the reason is for logs, never for the client."""


@dataclass(frozen=True)
class TokenClaims:
    sub: str
    account_id: str
    exp: datetime
    role: Role = Role.MEMBER
    # Optional claims (RFC 7519): not valid before `nbf`; minted at `iat`.
    nbf: datetime | None = None
    iat: datetime | None = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account every query is scoped to, and the person (``sub``)."""

    account: Account
    user_id: str
    role: Role = Role.MEMBER

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def mint_token(
    secret: str | SecretStr,
    account_id: str,
    sub: str,
    ttl: timedelta,
    *,
    role: Role = Role.MEMBER,
    clock: Clock = SYSTEM_CLOCK,
) -> str:
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    now = clock.now()
    claims = {
        "sub": sub,
        "account_id": account_id,
        "role": role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, _secret_text(secret), algorithm=ALGORITHM)


def verify_token(
    secret: str | SecretStr,
    token: str,
    *,
    clock: Clock = SYSTEM_CLOCK,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> TokenClaims:
    """The token's claims once its signature and times hold at the clock's now: not expired,
    not used before its `nbf`, not minted (`iat`) in the future. `nbf` and `iat` may be ahead by
    `leeway`, for a minting clock that runs a little ahead."""
    claims = _verified_claims(_secret_text(secret), token)
    now = clock.now()
    if claims.exp <= now:
        raise InvalidToken("expired")
    if claims.nbf is not None and claims.nbf > now + leeway:
        raise InvalidToken("not valid yet (nbf)")
    if claims.iat is not None and claims.iat > now + leeway:
        raise InvalidToken("issued in the future (iat)")
    return claims


@functools.lru_cache(maxsize=4096)
def _verified_claims(secret: str, token: str) -> TokenClaims:
    """The signature and claims check of a token, which depends on nothing but its bytes and
    the secret, so a client's token is checked once; its times (exp, nbf, iat) are judged on
    every call, against the injected clock. Refusals raise, and exceptions are not cached."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],  # pinned: refuses "none" and any algorithm swap
            # Time claims are checked by the caller against the injected clock.
            options={
                "require": list(_REQUIRED_CLAIMS),
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidTokenError as error:
        raise InvalidToken(f"{type(error).__name__}: {error}") from error
    sub, account_id = claims["sub"], claims["account_id"]
    if not isinstance(sub, str) or not sub:
        raise InvalidToken("sub must be a non-empty string")
    if not isinstance(account_id, str) or not account_id:
        raise InvalidToken("account_id must be a non-empty string")
    return TokenClaims(
        sub=sub,
        account_id=account_id,
        role=_role(claims.get("role", Role.MEMBER.value)),
        exp=_instant(claims["exp"], "exp"),
        nbf=_instant(claims["nbf"], "nbf") if "nbf" in claims else None,
        iat=_instant(claims["iat"], "iat") if "iat" in claims else None,
    )


def _role(value: Any) -> Role:
    # Any other value is refused (401), never read as the least privilege: a token that names
    # a role this service does not know was not minted for it.
    try:
        return Role(value)
    except ValueError:
        raise InvalidToken(f"unknown role {value!r}") from None


def _instant(value: Any, name: str) -> datetime:
    """A NumericDate claim (Unix seconds) as an instant."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"{name} must be a number")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidToken(f"{name} is out of range") from None


async def authenticate(request: Request) -> Principal:
    """The caller of a request, or Unauthorized; the core of the ``CurrentPrincipal`` dependency."""
    return _principal(request, _bearer_token(request))


async def authenticate_stream(request: Request) -> Principal:
    """The caller of an event stream: the bearer header, else the `access_token` query
    parameter, since a browser's EventSource cannot send headers (docs/api.md, Browsers)."""
    if "authorization" not in request.headers and (
        token := request.query_params.get(STREAM_TOKEN_PARAMETER)
    ):
        return _principal(request, token)
    return _principal(request, _bearer_token(request))


def _principal(request: Request, token: str) -> Principal:
    context = service_context(request)
    try:
        claims = verify_token(
            context.settings.jwt_secret,
            token,
            clock=context.clock,
            leeway=timedelta(seconds=context.settings.jwt_leeway_s),
        )
    except InvalidToken as error:
        log.info("token refused", reason=str(error))
        raise Unauthorized(_INVALID_TOKEN, challenge='Bearer error="invalid_token"') from None
    account = context.accounts.get(claims.account_id)
    if account is None:
        log.info("token refused", reason="account not in the accounts file")
        raise Unauthorized(_INVALID_TOKEN, challenge='Bearer error="invalid_token"')
    structlog.contextvars.bind_contextvars(account_id=account.account_id)
    return Principal(account=account, user_id=claims.sub, role=claims.role)


async def authenticate_service(request: Request) -> None:
    """Accept only the configured service token (internal endpoints)."""
    expected = service_context(request).settings.service_token
    token = _bearer_token(request)
    if expected is None or not hmac.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    ):
        raise Unauthorized("Invalid service token.", challenge='Bearer error="invalid_token"')


# Declared for the OpenAPI document; the header itself is read by _bearer_token.
_user_bearer = HTTPBearer(auto_error=False, scheme_name="UserToken", description="`crm token`")
_service_bearer = HTTPBearer(auto_error=False, scheme_name="ServiceToken")
_stream_token = APIKeyQuery(
    name=STREAM_TOKEN_PARAMETER,
    auto_error=False,
    scheme_name="StreamToken",
    description="The `crm token` as a query parameter, for a browser's EventSource only",
)
# The people's bearer scheme, for routes that read the token themselves to declare it
# (crm_servicekit.openapi_security).
USER_TOKEN_SCHEME: Final = _user_bearer


@authenticates_first(authenticate)
async def require_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_user_bearer)],
) -> Principal:
    return await authenticate(request)


async def require_account(principal: Annotated[Principal, Depends(require_principal)]) -> Account:
    return principal.account


async def authenticate_admin(request: Request) -> Principal:
    """The caller, if an admin of the account; a member is Forbidden (403)."""
    principal = await authenticate(request)
    if not principal.is_admin:
        raise Forbidden("Only an admin of the account may do this.")
    return principal


# Marked like authentication, so a member's malformed body is still 403, not 400
# (docs/api.md: 401, then 403, then 400).
@authenticates_first(authenticate_admin)
async def require_admin(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_user_bearer)],
) -> Principal:
    return await authenticate_admin(request)


@authenticates_first(authenticate_stream)
async def require_stream_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_user_bearer)],
    _query_token: Annotated[str | None, Depends(_stream_token)],
) -> Principal:
    return await authenticate_stream(request)


async def require_stream_account(
    principal: Annotated[Principal, Depends(require_stream_principal)],
) -> Account:
    return principal.account


@authenticates_first(authenticate_service)
async def require_service_token(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_service_bearer)],
) -> None:
    await authenticate_service(request)


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
CurrentAccount = Annotated[Account, Depends(require_account)]
CurrentAdmin = Annotated[Principal, Depends(require_admin)]
# Only for a Server-Sent Events route: it also takes the token as `access_token`.
CurrentStreamAccount = Annotated[Account, Depends(require_stream_account)]
# For a router of internal endpoints: APIRouter(dependencies=[ServiceTokenRequired]).
ServiceTokenRequired = Depends(require_service_token)


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing bearer token.")
    return token.strip()


def _secret_text(secret: str | SecretStr) -> str:
    return secret.get_secret_value() if isinstance(secret, SecretStr) else secret
