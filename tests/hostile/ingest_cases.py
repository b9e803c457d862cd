"""The ingest service's hostile cases: every route, attacked as test_ingest.py says.

The hooks are signed (Standard Webhooks, API.md's Signatures): a signature by another key,
one that is too old or from the future, one over other bytes or a malformed one is 401; a
webhook sent again as it was, within the tolerance, is answered 200 as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from ingest.support import ACME_KEY, BETA_KEY, T0, whsec

from crm_servicekit.accounts import Account

from .attack import INVALID, UNAUTHENTICATED, Case, by_id
from .connector_cases import ACME_CONNECTORS, CONNECTOR_CASES
from .families import (
    LONE_SURROGATE,
    NUL,
    bad_bodies,
    bad_instants,
    bad_limits,
    bad_text,
    forged_cursors,
    forged_tokens,
    without_token,
)
from .ingest_bodies import (
    FIVE_THOUSAND_DIGITS,
    claim,
    dm,
    event,
    lead,
    purchase,
    signed,
)

ACCOUNTS = [
    Account(account_id="acme", webhook_secrets=(whsec(ACME_KEY),), connectors=ACME_CONNECTORS),
    Account(account_id="beta", webhook_secrets=(whsec(BETA_KEY),)),
]

EVENTS = "POST /api/events"
BATCH = "POST /api/events/batch"
DM = "POST /api/hooks/dm"
LEAD = "POST /api/hooks/capi/lead"
CLAIM = "POST /internal/identities/claim"
DELIVERIES = "GET /api/hooks/deliveries"
# Ingest has no read API: the cross-account cases read what was published for B's customer.
B_UNCHANGED = {"other_account_unchanged": True}
AS_ACME = {"account_id": "acme"}  # names the account when the body cannot be read


def delivery_key(moment: str, ident: str) -> list[Any]:
    """The deliveries log's sort key: (received_at, row id)."""
    return [moment, ident]


def only(status: str) -> Callable[[Any], bool]:
    return lambda answer: [item["status"] for item in answer["results"]] == [status]


# The same DM the module sent once before the attacks (test_ingest.world), sent again.
REPLAYED_DM = dm(event_id="hostile-replayed-dm")
SIGNATURES: dict[str, tuple[Any, Callable[[bytes], Mapping[str, str]]]] = {
    "another account's key": (dm(), signed(BETA_KEY)),
    "a key of no account": (dm(), signed(b"k" * 32)),
    "older than the tolerance": (dm(), signed(at=T0 - timedelta(minutes=10))),
    "from the future": (dm(), signed(at=T0 + timedelta(minutes=10))),
    "over other bytes": (dm(), signed(over=b'{"event_id": "something-else"}')),
    "naming another account": (dm(account_id="beta"), signed(ACME_KEY)),
    "malformed": (dm(), lambda body: {**signed()(body), "webhook-signature": "v1,!!"}),
    "timestamp 1e400": (dm(), lambda body: {**signed()(body), "webhook-timestamp": "1e400"}),
    "timestamp of 40 digits": (
        dm(),
        lambda body: {**signed()(body), "webhook-timestamp": "9" * 40},
    ),
    "of an unsigned scheme": (dm(), lambda body: {**signed()(body), "webhook-signature": "v1a,x"}),
}
SIGNED = {"sign": signed(), "auth": None}

CASES = by_id(
    [
        Case(
            "health/live with a lone surrogate in the query",
            "GET /health/live",
            {200},
            auth=None,
            query={"x": LONE_SURROGATE},
        ),
        Case("health/ready with a forged token", "GET /health/ready", {200}, auth="expired"),
        *forged_tokens(EVENTS, body=event()),
        Case(
            "event without a token or a signature", EVENTS, UNAUTHENTICATED, auth=None, body=event()
        ),
        Case(
            "event signed by another account's key",
            EVENTS,
            UNAUTHENTICATED,
            body=event(account_id="acme"),
            sign=signed(BETA_KEY),
            auth=None,
        ),
        *bad_bodies(EVENTS, event()),
        Case(
            "event for another account's customer",
            EVENTS,
            INVALID,
            names="customer_id",
            body=event(event_id="hostile-takeover", customer_id="$b_customer", user_id=None),
            **B_UNCHANGED,
        ),
        *(
            Case(
                f"event purchase of {label}", EVENTS, INVALID, body=purchase(value), names="amount"
            )
            for label, value in {"NaN": float("nan"), "-Infinity": float("-inf")}.items()
        ),
        Case(
            "event purchase of 1e400",
            EVENTS,
            INVALID,
            names="amount",
            body=b'{"event_name": "PURCHASED", "event_id": "e", "user_id": "p",'
            b' "timestamp": "2026-11-02T08:59:00+00:00", "properties": {"amount": 1e400,'
            b' "currency": "EUR", "product_ids": ["starter"]}}',
        ),
        Case(
            "event property of Infinity",
            EVENTS,
            INVALID,
            names="score",
            body=event(properties={"channel": "ig", "score": float("inf")}),
        ),
        Case(
            "event property a 5000-digit number",
            EVENTS,
            {400, 422},
            body=FIVE_THOUSAND_DIGITS,
        ),
        *bad_text(EVENTS, "channel", lambda text: event(properties={"channel": text})),
        *bad_text(EVENTS, "user_id", lambda text: event(user_id=text)),
        *bad_text(EVENTS, "email", lambda text: event(contact={"email": f"a{text}@example.com"})),
        *bad_text(EVENTS, "event_id", lambda text: event(event_id=text)),
        *(
            Case(
                f"event timestamp {label}",
                EVENTS,
                INVALID,
                body=event(timestamp=moment),
                names="timestamp",
            )
            for label, moment in {
                "year 1 with offset": "0001-01-01T00:00:00+14:00",
                "year 9999 with offset": "9999-12-31T23:59:59-14:00",
                "naive": "2026-11-02T08:59:00",
            }.items()
        ),
        without_token(BATCH, body={"events": [event()]}),
        *bad_bodies(BATCH, {"events": [event()]}),
        Case("batch of 501 events", BATCH, {413}, body={"events": [event()] * 501}),
        Case("batch of none", BATCH, INVALID, body={"events": []}, names="events"),
        Case("batch events not a list", BATCH, INVALID, body={"events": "all"}, names="events"),
        Case(
            "batch item with a lone surrogate",
            BATCH,
            {200},
            holds=only("rejected"),
            body={"events": [event(event_id="batch-surrogate", user_id=LONE_SURROGATE)]},
        ),
        Case(
            "batch item with NaN",
            BATCH,
            {200},
            holds=only("rejected"),
            body={"events": [purchase(float("nan")) | {"event_id": "batch-nan"}]},
        ),
        Case(
            "batch item for another account's customer",
            BATCH,
            {200},
            holds=only("rejected"),
            body={"events": [event(event_id="batch-takeover", customer_id="$b_customer")]},
            **B_UNCHANGED,
        ),
        Case("DM without a signature", DM, UNAUTHENTICATED, auth=None, body=dm()),
        *(
            Case(f"DM signed {label}", DM, UNAUTHENTICATED, auth=None, body=body, sign=signer)
            for label, (body, signer) in SIGNATURES.items()
        ),
        Case(
            "DM sent again as it was",
            DM,
            {200},
            body=REPLAYED_DM,
            holds=lambda answer: answer["status"] == "duplicate",
            **SIGNED,
        ),
        *bad_text(DM, "text", lambda text: dm(text=text), **SIGNED),
        *bad_text(DM, "handle", lambda text: dm(sender={"handle": f"@a{text}"}), **SIGNED),
        *bad_bodies(DM, dm(), query=AS_ACME, **SIGNED),
        Case("lead without a signature", LEAD, UNAUTHENTICATED, auth=None, body=lead()),
        Case(
            "lead signed too long ago",
            LEAD,
            UNAUTHENTICATED,
            auth=None,
            body=lead(),
            sign=signed(at=T0 - timedelta(hours=1)),
        ),
        Case(
            "lead custom_data of NaN",
            LEAD,
            INVALID,
            body=lead(custom_data={"value": float("nan")}),
            names="value",
            **SIGNED,
        ),
        Case(
            "lead event_time 1e400",
            LEAD,
            INVALID,
            names="event_time",
            **SIGNED,
            body=b'{"event_id": "l", "account_id": "acme", "event_time": 1e400}',
        ),
        *bad_text(LEAD, "fn", lambda text: lead(user_data={"fn": text, "em": "a@b.se"}), **SIGNED),
        *bad_bodies(LEAD, lead(), query=AS_ACME, **SIGNED),
        *forged_tokens(DELIVERIES),
        without_token(DELIVERIES),
        *forged_cursors(DELIVERIES, delivery_key),
        *bad_limits(DELIVERIES),
        *bad_instants(DELIVERIES, "from"),
        *bad_instants(DELIVERIES, "to"),
        *(
            Case(f"deliveries {name} {label}", DELIVERIES, INVALID, query={name: v}, names=name)
            for name in ("connector", "outcome")
            for label, v in {"unknown": "telegram", "nul": f"dm{NUL}"}.items()
        ),
        Case(
            "deliveries from after to",
            DELIVERIES,
            INVALID,
            query={"from": "2026-11-02T10:00:00Z", "to": "2026-11-02T09:00:00Z"},
            names="to",
        ),
        Case(
            "deliveries with a webhook signature instead of a token",
            DELIVERIES,
            UNAUTHENTICATED,
            auth=None,
            sign=signed(),
        ),
        Case("claim without a token", CLAIM, UNAUTHENTICATED, auth=None, body=claim(ig="ada")),
        Case("claim with a person's token", CLAIM, UNAUTHENTICATED, body=claim(ig="ada")),
        Case(
            "claim of another account's customer",
            CLAIM,
            {404, 409, 422},
            auth="service",
            body={**claim(email="taken@example.com"), "customer_id": "$b_customer"},
            **B_UNCHANGED,
        ),
        *bad_text(CLAIM, "email", lambda text: claim(email=f"a{text}@example.com"), auth="service"),
        *bad_text(CLAIM, "ig", lambda text: claim(handles={"ig": text}), auth="service"),
        *bad_bodies(CLAIM, claim(email="ada@example.com"), auth="service"),
        *CONNECTOR_CASES,
    ]
)
