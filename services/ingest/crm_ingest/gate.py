"""Who is calling and whether they may: token or webhook signature, then the rate limit.

API.md's order of checks: authentication (401), then the rate limit (429), then the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import structlog
from fastapi import Request
from prometheus_client import Counter

from crm_ingest.acceptance import Acceptor
from crm_ingest.grouping import GroupCommit
from crm_ingest.policy import Normalized
from crm_ingest.rate_limit import RateLimiter, RateLimitUnavailable
from crm_ingest.settings import IngestSettings
from crm_ingest.signatures import SignatureRefused, verify_signature
from crm_schemas.contact import Source
from crm_servicekit.accounts import Account
from crm_servicekit.auth import authenticate
from crm_servicekit.problems import ServiceUnavailable, TooManyRequests, Unauthorized
from crm_servicekit.runtime import resources

log = structlog.get_logger(__name__)
# An unknown account gets the same answer as a bad signature, so ids cannot be probed.
NOT_AUTHENTIC = "Invalid or missing webhook signature."

IDENTITIES_DROPPED = Counter(
    "crm_ingest_identities_dropped",
    "Identities left off accepted events as invalid (a phone that is no valid number).",
    ["kind"],
)


def counted(normalized: Normalized) -> Normalized:
    for kind in normalized.dropped:
        IDENTITIES_DROPPED.labels(kind).inc()
    return normalized


@dataclass(frozen=True)
class Caller:
    account: Account
    # The marketer (the token's sub) for token requests; None for a provider's webhook.
    actor_id: str | None

    @property
    def default_source(self) -> Source:
        # A person's buttons are manual entries; a provider that names no source is the web.
        return Source.MANUAL if self.actor_id is not None else Source.WEB


@dataclass(frozen=True)
class IngestContext:
    settings: IngestSettings
    acceptor: Acceptor
    # Single-event requests go through the group commit; batches straight to the acceptor.
    singles: GroupCommit
    limiter: RateLimiter


def ingest_context(request: Request) -> IngestContext:
    found = getattr(request.app.state, "ingest_context", None)
    if isinstance(found, IngestContext):
        return found
    res = resources(request)
    settings = res.settings
    assert isinstance(settings, IngestSettings), "ingest runs with IngestSettings"
    assert res.redis is not None, "ingest's spec asks for Redis"
    acceptor = Acceptor(
        pool=res.pool,
        producer=res.producer,
        topic=settings.events_topic,
        send_timeout_s=settings.kafka_send_timeout_s,
    )
    context = IngestContext(
        settings=settings,
        acceptor=acceptor,
        singles=GroupCommit(
            acceptor,
            max_in_flight=settings.group_commit_in_flight,
            max_group=settings.max_batch_items,
        ),
        limiter=RateLimiter(
            res.redis,
            per_second=settings.rate_limit_per_s,
            burst=settings.rate_limit_burst,
            key_prefix=settings.redis_key_prefix,
        ),
    )
    request.app.state.ingest_context = context
    return context


async def token_caller(request: Request) -> Caller:
    principal = await authenticate(request)
    return Caller(principal.account, principal.user_id)


async def webhook_caller(request: Request, raw: bytes) -> Caller:
    """The account named by the `account_id` query parameter or body field, once the raw bytes
    carry a valid signature with one of its secrets (or it allows unsigned webhooks)."""
    res = resources(request)
    account = res.accounts.get(_named_account(request, raw) or "")
    if account is None:
        log.info("webhook refused", reason="unknown or missing account")
        raise Unauthorized(NOT_AUTHENTIC)
    if account.allow_unsigned_webhooks:
        return Caller(account, None)
    settings = ingest_context(request).settings
    try:
        verify_signature(
            raw,
            request.headers,
            account.webhook_keys,
            now=res.clock.now(),
            tolerance=timedelta(seconds=settings.webhook_tolerance_s),
        )
    except SignatureRefused as error:
        log.info("webhook refused", reason=str(error), account_id=account.account_id)
        raise Unauthorized(NOT_AUTHENTIC) from None
    return Caller(account, None)


async def within_rate(request: Request, caller: Caller, endpoint: str) -> None:
    context = ingest_context(request)
    now = resources(request).clock.now()
    try:
        verdict = await context.limiter.take(caller.account.account_id, endpoint, now)
    except RateLimitUnavailable as error:
        log.warning("rate limiter unavailable", error=str(error))
        raise ServiceUnavailable("The rate limiter is unavailable; retry shortly.") from None
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
