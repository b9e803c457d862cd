"""The stats service's hostile cases: every route, attacked as test_stats.py says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_servicekit.accounts import Account

from .attack import INVALID, UNAUTHENTICATED, Case, by_id
from .families import (
    LONE_SURROGATE,
    NUL,
    SOME_ID,
    bad_instants,
    bad_limits,
    forged_cursors,
    forged_tokens,
    without_token,
)

T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)
ACCOUNTS = [Account(account_id="acme"), Account(account_id="beta", time_zone="UTC")]

FIGURES = "GET /api/customers/stats"
DMO = "GET /api/stats/dmo"
EVENTS = "GET /api/events"
EVENTS_OF = "GET /api/events/customer/{customer_id}"
EVENTS_NAMED = "GET /api/events/type/{event_name}"
TICKER = "GET /api/ticker"
STREAM = "GET /api/ticker/stream"

THEIRS = {"customer_id": "$b_customer"}
B_UNCHANGED = {"other_account_unchanged": True}
CUSTOM = {"period": "custom", "from": "2026-10-01T00:00:00Z", "to": "2026-10-06T00:00:00Z"}


def log_key(moment: str, ident: str) -> list[Any]:
    """The event log's sort key: (timestamp, event id)."""
    return [moment, ident]


CASES = by_id(
    [
        Case("health/live with a forged token", "GET /health/live", {200}, auth="alg-hs512"),
        Case(
            "health/ready with a lone surrogate in the query",
            "GET /health/ready",
            {200},
            auth=None,
            query={"x": LONE_SURROGATE},
        ),
        *forged_tokens(FIGURES),
        without_token(FIGURES),
        *bad_instants(FIGURES, "as_of"),
        *bad_instants(FIGURES, "from", **{k: v for k, v in CUSTOM.items() if k != "from"}),
        *bad_instants(FIGURES, "to", **{k: v for k, v in CUSTOM.items() if k != "to"}),
        Case(
            "figures of a period that is none",
            FIGURES,
            INVALID,
            query={"period": "decade"},
            names="period",
        ),
        Case(
            "figures of a custom period from after to",
            FIGURES,
            INVALID,
            query={**CUSTOM, "from": "2026-10-07T00:00:00Z"},
        ),
        Case(
            "figures pipeline with a NUL",
            FIGURES,
            INVALID,
            query={"pipeline": f"frazer{NUL}"},
            names="pipeline",
        ),
        *(
            Case(f"dmo days {label}", DMO, INVALID, query={"days": value}, names="days")
            for label, value in {"0": "0", "91": "91", "huge": "9" * 40, "NaN": "NaN"}.items()
        ),
        *bad_instants(DMO, "as_of"),
        without_token(DMO),
        *forged_cursors(EVENTS, log_key),
        *bad_limits(EVENTS),
        *bad_instants(EVENTS, "from"),
        *bad_instants(EVENTS, "to"),
        Case(
            "events of another account's customer",
            EVENTS,
            {200},
            empty_items=True,
            query={"customer_id": "$b_customer"},
            **B_UNCHANGED,
        ),
        Case(
            "events type with a NUL",
            EVENTS,
            INVALID,
            query={"type": f"DM_STARTED{NUL}"},
            names="type",
        ),
        without_token(EVENTS),
        Case(
            "event log of another account's customer",
            EVENTS_OF,
            {200},
            path=THEIRS,
            empty_items=True,
            **B_UNCHANGED,
        ),
        Case(
            "event log of a path that is no id",
            EVENTS_OF,
            INVALID,
            path={"customer_id": SOME_ID + NUL},
            names="customer_id",
        ),
        *forged_cursors(EVENTS_OF, log_key, path=THEIRS),
        Case(
            "events of a name not in the catalog",
            EVENTS_NAMED,
            INVALID,
            path={"event_name": "DROP_TABLE"},
            names="event_name",
        ),
        Case(
            "events of a name with a NUL",
            EVENTS_NAMED,
            INVALID,
            path={"event_name": f"DM_STARTED{NUL}"},
            names="event_name",
        ),
        Case(
            "events of a name with a lone surrogate",
            EVENTS_NAMED,
            INVALID,
            path={"event_name": f"DM_STARTED{LONE_SURROGATE}"},
            names="event_name",
        ),
        *forged_cursors(EVENTS_NAMED, log_key, path={"event_name": "DM_STARTED"}),
        *bad_limits(TICKER),
        without_token(TICKER),
        without_token(STREAM),
        Case(
            "ticker stream with a forged access_token",
            STREAM,
            UNAUTHENTICATED,
            auth=None,
            query={"access_token": "not.a.jwt"},
        ),
        Case(
            "ticker stream with a token of no account",
            STREAM,
            UNAUTHENTICATED,
            auth="unknown-account",
        ),
        Case("ticker stream with an expired token", STREAM, UNAUTHENTICATED, auth="expired"),
        # A stream that would not end is answered 200 and left unread (attack.send).
        Case(
            "ticker stream from a Last-Event-ID never issued",
            STREAM,
            {200, 400, 422},
            headers={"Last-Event-ID": "99999999999999999999999-0"},
        ),
    ]
)
