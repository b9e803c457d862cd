"""The customers service's hostile cases: every route, attacked as test_customers.py says."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_servicekit.accounts import Account

from .attack import INVALID, NOT_FOUND, Case, by_id
from .customers_settings_cases import SETTINGS_CASES
from .families import (
    LONE_SURROGATE,
    NUL,
    SOME_ID,
    bad_bodies,
    bad_instants,
    bad_limits,
    bad_query_text,
    bad_text,
    cursor_of,
    forged_cursors,
    forged_tokens,
    without_token,
)

T = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
ACCOUNTS = [Account(account_id="acme"), Account(account_id="beta")]

LIST = "GET /api/customers"
CREATE = "POST /api/customers"
READ = "GET /api/customers/{customer_id}"
CHANGE = "PUT /api/customers/{customer_id}"
DELETE = "DELETE /api/customers/{customer_id}"
NEXT_STAGE = "POST /api/customers/{customer_id}/next-stage"
BOOKING_LINK = "GET /api/customers/{customer_id}/booking-link"
INTERACTIONS_OF = "GET /api/interactions/customer/{customer_id}"
UPCOMING = "GET /api/interactions/upcoming"
INTERACTION = "GET /api/interactions/{interaction_id}"
CHANGE_INTERACTION = "PUT /api/interactions/{interaction_id}"
DELETE_INTERACTION = "DELETE /api/interactions/{interaction_id}"
LOG_INTERACTION = "POST /api/interactions"

MINE = {"customer_id": "$a_customer"}
THEIRS = {"customer_id": "$b_customer"}
MY_NOTE = {"interaction_id": "$a_interaction"}
THEIR_NOTE = {"interaction_id": "$b_interaction"}
B_UNCHANGED = {"other_account_unchanged": True}


def keyed(moment: str, ident: str) -> list[str]:
    return [moment, ident]


def note(content: str) -> dict[str, str]:
    return {"customer_id": "$a_customer", "type": "note", "content": content}


CASES = by_id(
    [
        Case(
            "health/live with a NUL in the query",
            "GET /health/live",
            {200},
            auth=None,
            query={"probe": NUL},
        ),
        Case(
            "health/ready with a forged token", "GET /health/ready", {200}, auth="forged-signature"
        ),
        *forged_tokens(LIST),
        without_token(LIST),
        *forged_cursors(LIST, keyed),
        Case(
            "customers cursor by name with a NUL",
            LIST,
            INVALID,
            names="cursor",
            query={"sort": "name", "cursor": cursor_of([f"Ada{NUL}", SOME_ID])},
        ),
        *bad_limits(LIST),
        *bad_query_text(LIST, "q"),
        Case(
            "customers sort by a column not offered",
            LIST,
            INVALID,
            names="sort",
            query={"sort": "email; DROP TABLE customers"},
        ),
        Case(
            "customers status with a NUL",
            LIST,
            INVALID,
            names="status",
            query={"status": f"lead{NUL}"},
        ),
        without_token(CREATE),
        *bad_bodies(CREATE, {"name": "Ada"}),
        *bad_text(CREATE, "name", lambda text: {"name": text}),
        *bad_text(CREATE, "notes", lambda text: {"name": "Ada", "notes": text}),
        *bad_text(CREATE, "ig", lambda text: {"name": "Ada", "handles": {"ig": text}}),
        *bad_text(CREATE, "email", lambda text: {"email": f"ada{text}@example.com"}),
        Case("POST customers name NaN", CREATE, INVALID, body={"name": float("nan")}, names="name"),
        Case(
            "POST customers name a 400-digit number",
            CREATE,
            INVALID,
            body={"name": 10**400},
            names="name",
        ),
        Case(
            "POST customers consent Infinity",
            CREATE,
            INVALID,
            names="email",
            body={"name": "Ada", "consent": {"email": float("inf")}},
        ),
        Case(
            "POST customers next_action_date year 9999 with offset",
            CREATE,
            INVALID,
            body={"name": "Ada", "next_action_date": "9999-12-31T23:59:59-14:00"},
            names="next_action_date",
        ),
        Case(
            "POST customers next_action_date naive",
            CREATE,
            INVALID,
            body={"name": "Ada", "next_action_date": "2026-11-04T09:00:00"},
            names="next_action_date",
        ),
        Case(
            "POST customers Idempotency-Key of 1000 characters",
            CREATE,
            INVALID,
            body={"name": "Ada"},
            headers={"Idempotency-Key": "k" * 1000},
        ),
        Case("GET another account's customer", READ, NOT_FOUND, path=THEIRS, **B_UNCHANGED),
        Case(
            "GET customer by a path that is no id",
            READ,
            INVALID,
            path={"customer_id": "not-an-id"},
            names="customer_id",
        ),
        Case(
            "GET customer by an id with a NUL",
            READ,
            INVALID,
            path={"customer_id": SOME_ID + NUL},
            names="customer_id",
        ),
        Case(
            "GET customer pipeline with a lone surrogate",
            READ,
            INVALID | {200},
            path=MINE,
            query={"pipeline": LONE_SURROGATE},
        ),
        Case(
            "PUT another account's customer",
            CHANGE,
            NOT_FOUND,
            path=THEIRS,
            body={"notes": "taken over"},
            **B_UNCHANGED,
        ),
        *bad_bodies(CHANGE, {"notes": "fine"}, path=MINE),
        *bad_text(CHANGE, "notes", lambda text: {"notes": text}, path=MINE),
        Case(
            "PUT customer booking time at year 9999 with offset",
            CHANGE,
            INVALID,
            path=MINE,
            body={"booking": {"state": "booked", "time": "9999-12-31T23:59:59-14:00"}},
            names="time",
        ),
        Case("DELETE another account's customer", DELETE, NOT_FOUND, path=THEIRS, **B_UNCHANGED),
        Case(
            "DELETE customer by a path that is no id",
            DELETE,
            INVALID,
            path={"customer_id": "1 OR 1=1"},
            names="customer_id",
        ),
        Case(
            "next-stage of another account's customer",
            NEXT_STAGE,
            NOT_FOUND,
            path=THEIRS,
            body={"reason": "moved on"},
            **B_UNCHANGED,
        ),
        Case(
            "booking-link of another account's customer",
            BOOKING_LINK,
            NOT_FOUND,
            path=THEIRS,
            query={"url": "https://calendly.com/acme/intro"},
        ),
        Case(
            "booking-link to a javascript: URL",
            BOOKING_LINK,
            INVALID,
            path=MINE,
            query={"url": "javascript:alert(1)"},
            names="url",
        ),
        Case("booking-link without a URL", BOOKING_LINK, INVALID, path=MINE, names="url"),
        *bad_query_text(BOOKING_LINK, "url", path=MINE),
        *bad_bodies(NEXT_STAGE, {"reason": "ready"}, path=MINE),
        *bad_text(NEXT_STAGE, "reason", lambda text: {"reason": text}, path=MINE),
        Case(
            "interactions of another account's customer",
            INTERACTIONS_OF,
            {200},
            path=THEIRS,
            empty_items=True,
            **B_UNCHANGED,
        ),
        *forged_cursors(INTERACTIONS_OF, keyed, path=MINE),
        *bad_limits(INTERACTIONS_OF, path=MINE),
        *forged_cursors(UPCOMING, keyed),
        *bad_limits(UPCOMING),
        *bad_instants(UPCOMING, "as_of"),
        without_token(UPCOMING),
        Case(
            "GET another account's interaction",
            INTERACTION,
            NOT_FOUND,
            path=THEIR_NOTE,
            **B_UNCHANGED,
        ),
        Case(
            "GET interaction by a path that is no id",
            INTERACTION,
            INVALID,
            path={"interaction_id": LONE_SURROGATE},
            names="interaction_id",
        ),
        Case(
            "PUT another account's interaction",
            CHANGE_INTERACTION,
            NOT_FOUND,
            path=THEIR_NOTE,
            body={"content": "rewritten"},
            **B_UNCHANGED,
        ),
        *bad_bodies(CHANGE_INTERACTION, {"content": "fine"}, path=MY_NOTE),
        *bad_text(CHANGE_INTERACTION, "content", lambda text: {"content": text}, path=MY_NOTE),
        Case(
            "DELETE another account's interaction",
            DELETE_INTERACTION,
            NOT_FOUND,
            path=THEIR_NOTE,
            **B_UNCHANGED,
        ),
        Case(
            "POST interaction for another account's customer",
            LOG_INTERACTION,
            {404, 422},
            body={"customer_id": "$b_customer", "type": "note", "content": "hi"},
            **B_UNCHANGED,
        ),
        *bad_bodies(LOG_INTERACTION, note("fine")),
        *bad_text(LOG_INTERACTION, "content", note),
        Case(
            "POST interaction occurred_at year 1 with offset",
            LOG_INTERACTION,
            INVALID,
            body={**note("x"), "occurred_at": "0001-01-01T00:00:00+14:00"},
            names="occurred_at",
        ),
        *SETTINGS_CASES,
    ]
)
