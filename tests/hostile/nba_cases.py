"""The nba service's hostile cases: every route, attacked as test_nba.py says."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from crm_servicekit.accounts import Account

from .attack import INVALID, NOT_FOUND, Case, by_id
from .families import (
    LONE_SURROGATE,
    NUL,
    SOME_ID,
    bad_bodies,
    bad_instants,
    bad_limits,
    bad_text,
    cursor_of,
    forged_cursors,
    forged_tokens,
    without_token,
)

T = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
ACCOUNTS = [Account(account_id="acme"), Account(account_id="beta")]

WHO_NEXT = "GET /api/nba"
OF_CUSTOMER = "GET /api/nba/customer/{customer_id}"
ANALYZE = "POST /api/nba/analyze"
COACHING = "GET /api/coaching"

MINE = {"customer_id": "$a_customer"}
THEIRS = {"customer_id": "$b_customer"}
B_UNCHANGED = {"other_account_unchanged": True}


def who_next_key(moment: str, ident: str) -> list[Any]:
    """/api/nba's sort key: (-priority, due_at, last activity, customer id)."""
    return [-90, moment, moment, ident]


def history(**changes: Any) -> dict[str, Any]:
    """An analysis of a one-event history; `changes` go into the event."""
    event = {
        "event_name": "PURCHASED",
        "event_id": "hostile-purchase",
        "timestamp": T.isoformat(),
        "customer_id": SOME_ID,
        "properties": {"amount": 49, "currency": "EUR", "product_ids": ["starter"]},
    }
    return {"history": [{**event, **changes}]}


def purchase(amount: Any) -> dict[str, Any]:
    return history(properties={"amount": amount, "currency": "EUR", "product_ids": ["starter"]})


# Sort keys of /api/nba no cursor of it holds: a priority no int is, or out of any column's
# range, and instants the list never wrote.
FORGED_PRIORITIES = {
    "Infinity": float("inf"),
    "NaN": float("nan"),
    "1e30": 1e30,
    "a 400-digit number": 10**400,
}

CASES = by_id(
    [
        Case("health/live with a forged token", "GET /health/live", {200}, auth="alg-none"),
        Case(
            "health/ready with a NUL in the query",
            "GET /health/ready",
            {200},
            auth=None,
            query={"as_of": NUL},
        ),
        *forged_tokens(WHO_NEXT),
        without_token(WHO_NEXT),
        *forged_cursors(WHO_NEXT, who_next_key),
        *(
            Case(
                f"/api/nba cursor priority {label}",
                WHO_NEXT,
                INVALID,
                names="cursor",
                query={"cursor": cursor_of([value, T.isoformat(), T.isoformat(), SOME_ID])},
            )
            for label, value in FORGED_PRIORITIES.items()
        ),
        *bad_limits(WHO_NEXT),
        *bad_instants(WHO_NEXT, "as_of"),
        Case(
            "next best action of another account's customer",
            OF_CUSTOMER,
            NOT_FOUND,
            path=THEIRS,
            **B_UNCHANGED,
        ),
        Case(
            "next best action by a path that is no id",
            OF_CUSTOMER,
            INVALID,
            path={"customer_id": LONE_SURROGATE},
            names="customer_id",
        ),
        *bad_instants(OF_CUSTOMER, "as_of", path=MINE),
        without_token(OF_CUSTOMER, path=MINE),
        Case(
            "analyze another account's customer",
            ANALYZE,
            {200},
            empty_items=True,
            body={"customer_ids": ["$b_customer"]},
            **B_UNCHANGED,
        ),
        Case(
            "analyze customer_ids with a NUL",
            ANALYZE,
            INVALID,
            names="customer_ids",
            body={"customer_ids": [SOME_ID + NUL]},
        ),
        Case(
            "analyze a purchase of NaN",
            ANALYZE,
            INVALID,
            body=purchase(float("nan")),
            names="amount",
        ),
        Case(
            "analyze a purchase of Infinity",
            ANALYZE,
            INVALID,
            body=purchase(float("inf")),
            names="amount",
        ),
        Case(
            "analyze a purchase of 1e400",
            ANALYZE,
            INVALID,
            names="amount",
            # A valid JSON number that no float holds (Python reads it as infinity).
            body=json.dumps(purchase(0)).replace('"amount": 0', '"amount": 1e400').encode(),
        ),
        Case(
            "analyze a history at year 9999 with offset",
            ANALYZE,
            INVALID,
            names="timestamp",
            body=history(timestamp="9999-12-31T23:59:59-14:00"),
        ),
        Case(
            "analyze a history of a naive instant",
            ANALYZE,
            INVALID,
            names="timestamp",
            body=history(timestamp="2026-11-03T13:00:00"),
        ),
        *bad_text(ANALYZE, "event_id", lambda text: history(event_id=text)),
        *bad_text(
            ANALYZE,
            "currency",
            lambda text: history(
                properties={"amount": 1, "currency": text, "product_ids": ["starter"]}
            ),
        ),
        *bad_bodies(ANALYZE, history()),
        without_token(ANALYZE),
        *bad_instants(COACHING, "as_of"),
        without_token(COACHING),
    ]
)
