"""The providers' own webhooks (docs/connectors.md): Meta (Messenger, Instagram, WhatsApp,
Lead Ads), Calendly and Cal.com, verified on the raw bytes before anything is parsed."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from crm_ingest.api.answers import RETRY_AFTER_S, json_of
from crm_ingest.api.callers import NOT_AUTHENTIC
from crm_ingest.api.wiring import Wiring, WiringDep
from crm_ingest.policy.connectors.calcom import calcom_items
from crm_ingest.policy.connectors.calendly import calendly_items
from crm_ingest.policy.connectors.delivery import Owned, owners_of
from crm_ingest.policy.connectors.items import Connector, Item
from crm_ingest.policy.connectors.meta import meta_items
from crm_ingest.policy.connectors.signatures import (
    ConnectorSignatureRefused,
    verify_calcom,
    verify_calendly,
    verify_meta,
)
from crm_ingest.policy.outcomes import Caller
from crm_ingest.schemas import DeliveryAnswer
from crm_servicekit.accounts import Account
from crm_servicekit.openapi_problems import problems
from crm_servicekit.openapi_security import any_of, header_key
from crm_servicekit.problems import Forbidden, ServiceUnavailable, Unauthorized

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/hooks", tags=["connectors"])

_DELIVERY_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": DeliveryAnswer, "description": "Every item taken, or judged and logged."},
    **problems(400, 401, 413, 415, 429, 503),
}
# Each provider's own signature header (docs/connectors.md), checked on the raw bytes.
_META_SIGNED = any_of(
    [
        header_key(
            "MetaSignature",
            "X-Hub-Signature-256",
            "`sha256=<hex HMAC-SHA256 of the body>`, keyed by the Meta app secret.",
        )
    ]
)
_CALENDLY_SIGNED = any_of(
    [
        header_key(
            "CalendlySignature",
            "Calendly-Webhook-Signature",
            '`t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">`, keyed by the subscription\'s'
            " signing key; `t` within 5 minutes.",
        )
    ]
)
_CALCOM_SIGNED = any_of(
    [
        header_key(
            "CalcomSignature",
            "X-Cal-Signature-256",
            "`<hex HMAC-SHA256 of the body>`, keyed by the webhook's secret.",
        )
    ]
)


@router.get(
    "/meta",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **problems(403)},
)
async def verify_meta_subscription(
    wiring: WiringDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> PlainTextResponse:
    """Meta's subscription handshake: the challenge back when the verify token is one of ours."""
    offered = (token or "").encode()
    known = any(
        hmac.compare_digest(offered, expected.encode())
        for expected in wiring.settings.meta_verify_tokens
    )
    if mode != "subscribe" or not known or challenge is None:
        log.info("meta subscription refused", mode=mode)
        raise Forbidden("The verify token does not match.")
    return PlainTextResponse(challenge)


@router.post(
    "/meta",
    response_model=DeliveryAnswer,
    responses=_DELIVERY_ANSWERS,
    openapi_extra=_META_SIGNED,
)
async def post_meta(request: Request, wiring: WiringDep) -> JSONResponse:
    """A Meta app's delivery: each entry goes to the account that lists its page, Instagram
    account or WhatsApp number and trusts the app secret that signed it. Not rate-limited
    per account: one delivery holds several accounts' items, and a 429 would hold back all."""
    raw = await request.body()
    accounts = wiring.gate.accounts
    deployment = wiring.settings.meta_app_secrets
    secrets = [*deployment, *(s for a in accounts for s in a.connectors.meta.app_secrets)]
    try:
        matched = verify_meta(raw, request.headers.get("x-hub-signature-256"), secrets)
    except ConnectorSignatureRefused as error:
        # No account can be told (the entries are not read before the signature holds): the
        # refusal is counted and logged, not listed in any account's deliveries log.
        wiring.deliveries.count_refused_delivery(Connector.META, "bad signature")
        log.info("connector delivery refused", connector="meta", reason=str(error))
        raise Unauthorized(NOT_AUTHENTIC, challenge="X-Hub-Signature-256") from None
    document = json_of(raw, request.headers.get("content-type"), _limit(wiring))
    items = meta_items(document)
    owned, unowned = owners_of(items, accounts, matched, deployment)
    for connector in {item.connector for item in unowned}:
        wiring.deliveries.count_unowned(
            connector, sum(item.connector is connector for item in unowned)
        )
    if unowned:
        addressees = {f"{i.addressee.kind}:{i.addressee.id}" for i in unowned if i.addressee}
        log.info(
            "delivery items no account owns",
            connector="meta",
            count=len(unowned),
            addressees=sorted(addressees),
        )
    return await _answer(wiring, owned, unowned)


@router.post(
    "/calendly/{account_id}",
    response_model=DeliveryAnswer,
    responses=_DELIVERY_ANSWERS,
    openapi_extra=_CALENDLY_SIGNED,
)
async def post_calendly(account_id: str, request: Request, wiring: WiringDep) -> JSONResponse:
    """A Calendly webhook subscription of the account in the path, signed with its key."""
    raw = await request.body()
    account = _path_account(wiring, account_id, Connector.CALENDLY)
    try:
        verify_calendly(
            raw,
            request.headers.get("calendly-webhook-signature"),
            account.connectors.calendly.signing_keys,
            now=wiring.gate.clock.now(),
            tolerance=wiring.gate.webhook_tolerance,
        )
    except ConnectorSignatureRefused as error:
        raise _refused(wiring, Connector.CALENDLY, account_id, error) from None
    await wiring.gate.within_rate(Caller(account, None), "hooks_calendly")
    document = json_of(raw, request.headers.get("content-type"), _limit(wiring))
    return await _answer(wiring, [Owned(account, i) for i in calendly_items(document)], [])


@router.post(
    "/calcom/{account_id}",
    response_model=DeliveryAnswer,
    responses=_DELIVERY_ANSWERS,
    openapi_extra=_CALCOM_SIGNED,
)
async def post_calcom(account_id: str, request: Request, wiring: WiringDep) -> JSONResponse:
    """A Cal.com webhook of the account in the path, signed with its secret."""
    raw = await request.body()
    account = _path_account(wiring, account_id, Connector.CALCOM)
    try:
        verify_calcom(
            raw, request.headers.get("x-cal-signature-256"), account.connectors.calcom.secrets
        )
    except ConnectorSignatureRefused as error:
        raise _refused(wiring, Connector.CALCOM, account_id, error) from None
    await wiring.gate.within_rate(Caller(account, None), "hooks_calcom")
    document = json_of(raw, request.headers.get("content-type"), _limit(wiring))
    return await _answer(wiring, [Owned(account, i) for i in calcom_items(document)], [])


def _path_account(wiring: Wiring, account_id: str, connector: Connector) -> Account:
    # An unknown account answers like a bad signature, so account ids cannot be probed.
    account = wiring.gate.accounts.get(account_id)
    if account is None:
        wiring.deliveries.count_refused_delivery(connector, "unknown account")
        raise Unauthorized(NOT_AUTHENTIC, challenge="Signature")
    return account


def _refused(
    wiring: Wiring, connector: Connector, account_id: str, error: Exception
) -> Unauthorized:
    # Not listed in the account's log: anyone can post to the path, and only a signed
    # delivery is the account's.
    wiring.deliveries.count_refused_delivery(connector, "bad signature")
    log.info(
        "connector delivery refused", connector=connector, account_id=account_id, reason=str(error)
    )
    return Unauthorized(NOT_AUTHENTIC, challenge="Signature")


def _limit(wiring: Wiring) -> int:
    return wiring.settings.max_delivery_bytes


async def _answer(wiring: Wiring, owned: list[Owned], unowned: list[Item]) -> JSONResponse:
    received_at = wiring.gate.clock.now()
    result = await wiring.connectors.accept(owned, received_at)
    await wiring.deliveries.record([verdict.row(received_at) for verdict in result.verdicts])
    counts: dict[str, int] = {}
    for verdict in result.verdicts:
        counts[verdict.outcome.value] = counts.get(verdict.outcome.value, 0) + 1
    if unowned:
        counts["unowned"] = len(unowned)
    if not result.complete:
        raise ServiceUnavailable(
            "Some items could not be read or published; send the delivery again.",
            retry_after_s=RETRY_AFTER_S,
            outcomes=counts,
        )
    results = [
        {
            "provider_id": verdict.item.provider_id,
            "account_id": verdict.account_id,
            "outcome": verdict.outcome.value,
            "reason": verdict.reason,
            "event_id": verdict.event_id,
            "customer_id": str(verdict.customer_id) if verdict.customer_id else None,
        }
        for verdict in result.verdicts
    ]
    return JSONResponse(
        {"items": len(owned) + len(unowned), "outcomes": counts, "results": results}
    )
