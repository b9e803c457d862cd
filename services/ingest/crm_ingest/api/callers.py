"""Who is calling and whether they may: token or webhook signature, then the rate limit.

The order of checks (docs/architecture.md): authentication (401), then the rate limit (429),
then the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import structlog
from fastapi import Request

from crm_ingest.policy.outcomes import Caller
from crm_ingest.policy.signatures import SignatureRefused, verify_signature
from crm_ingest.rate_limit import RateLimiter
from crm_servicekit.accounts import Accounts
from crm_servicekit.auth import authenticate
from crm_servicekit.clock import Clock
from crm_servicekit.problems import TooManyRequests, Unauthorized

log = structlog.get_logger(__name__)
# An unknown account gets the same answer as a bad signature, so ids cannot be probed.
NOT_AUTHENTIC = "Invalid or missing webhook signature."


@dataclass(frozen=True)
class Gate:
    accounts: Accounts
    clock: Clock
    limiter: RateLimiter
    webhook_tolerance: timedelta

    async def token_caller(self, request: Request) -> Caller:
        principal = await authenticate(request)
        return Caller(principal.account, principal.user_id)

    async def webhook_caller(self, request: Request, raw: bytes) -> Caller:
        """The account named by the `account_id` query parameter or body field, once the raw
        bytes carry a valid signature with one of its secrets (or it allows unsigned hooks)."""
        account = self.accounts.get(_named_account(request, raw) or "")
        if account is None:
            log.info("webhook refused", reason="unknown or missing account")
            raise Unauthorized(NOT_AUTHENTIC)
        if account.allow_unsigned_webhooks:
            return Caller(account, None)
        try:
            verify_signature(
                raw,
                request.headers,
                account.webhook_keys,
                now=self.clock.now(),
                tolerance=self.webhook_tolerance,
            )
        except SignatureRefused as error:
            log.info("webhook refused", reason=str(error), account_id=account.account_id)
            raise Unauthorized(NOT_AUTHENTIC) from None
        return Caller(account, None)

    async def within_rate(self, caller: Caller, endpoint: str) -> None:
        # Never refuses for Redis: without it the limiter decides in this process.
        verdict = await self.limiter.take(caller.account.account_id, endpoint, self.clock.now())
        if not verdict.allowed:
            raise TooManyRequests(
                f"Too many requests to {endpoint} for this account.",
                retry_after_s=verdict.retry_after_s,
            )


def _named_account(request: Request, raw: bytes) -> str | None:
    # The secret to check with depends on the account, which the body names; reading that
    # one field is the only use of the body before the signature is verified.
    if named := request.query_params.get("account_id"):
        return named
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    value = document.get("account_id") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None
