"""The rules service's hostile cases: every route, attacked as test_rules.py says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    forged_cursors,
    forged_tokens,
    without_token,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACCOUNTS = [Account(account_id="acme"), Account(account_id="beta")]
TOMORROW = (T0 + timedelta(days=1)).isoformat()

DUE = "GET /api/reminders/due"
UPCOMING = "GET /api/reminders/upcoming"
LIST = "GET /api/reminders"
CREATE = "POST /api/reminders"
READ = "GET /api/reminders/{reminder_id}"
CANCEL = "DELETE /api/reminders/{reminder_id}"
COMPLETE = "POST /api/reminders/{reminder_id}/complete"
SNOOZE = "POST /api/reminders/{reminder_id}/snooze"

MINE = {"reminder_id": "$a_reminder"}
THEIRS = {"reminder_id": "$b_reminder"}
B_UNCHANGED = {"other_account_unchanged": True}


def keyed(moment: str, ident: str) -> list[str]:
    return [moment, ident]


def reminder(message: str, customer: str = "$a_customer") -> dict[str, str]:
    return {
        "customer_id": customer,
        "type": "custom",
        "scheduled_for": TOMORROW,
        "message": message,
    }


# ISO 8601 durations `within` may not take: 8,000 years (past datetime's range), negative,
# empty, not a duration at all, and one with a NUL.
BAD_WITHIN = {
    "P3000000D": "P3000000D",
    "negative": "-PT1H",
    "empty designator": "P",
    "not a duration": "seven days",
    "nul": f"P7D{NUL}",
}

# 1e400 is a valid JSON number that no float holds (Python reads it as infinity).
SCHEDULED_FOR_1E400 = (
    f'{{"customer_id": "{SOME_ID}", "type": "custom", "scheduled_for": 1e400}}'.encode()
)

CASES = by_id(
    [
        Case(
            "health/live with a lone surrogate in the query",
            "GET /health/live",
            {200},
            auth=None,
            query={"probe": LONE_SURROGATE},
        ),
        Case(
            "health/ready with a token of no account",
            "GET /health/ready",
            {200},
            auth="unknown-account",
        ),
        *forged_tokens(DUE),
        without_token(DUE),
        *forged_cursors(DUE, keyed),
        *bad_limits(DUE),
        *bad_instants(DUE, "as_of"),
        Case(
            "due reminders of another account's customer",
            DUE,
            {200},
            empty_items=True,
            query={"customer_id": "$b_customer"},
            **B_UNCHANGED,
        ),
        Case(
            "due reminders customer_id with a NUL",
            DUE,
            INVALID,
            names="customer_id",
            query={"customer_id": SOME_ID + NUL},
        ),
        *(
            Case(
                f"upcoming within {label}",
                UPCOMING,
                INVALID,
                query={"within": value},
                names="within",
            )
            for label, value in BAD_WITHIN.items()
        ),
        *forged_cursors(UPCOMING, keyed),
        *bad_limits(UPCOMING),
        *bad_instants(UPCOMING, "as_of"),
        without_token(UPCOMING),
        Case(
            "reminders of another account's customer",
            LIST,
            {200},
            empty_items=True,
            query={"customer_id": "$b_customer"},
            **B_UNCHANGED,
        ),
        Case(
            "reminders status with a NUL",
            LIST,
            INVALID,
            query={"status": f"open{NUL}"},
            names="status",
        ),
        Case(
            "reminders type not a type",
            LIST,
            INVALID,
            query={"type": "custom' OR '1'='1"},
            names="type",
        ),
        *forged_cursors(LIST, keyed),
        *bad_limits(LIST),
        without_token(LIST),
        # API.md, rules: a customer id known to belong to another account is 422.
        Case(
            "POST reminder for another account's customer",
            CREATE,
            INVALID,
            body=reminder("mine now", "$b_customer"),
            names="customer_id",
            **B_UNCHANGED,
        ),
        *bad_text(CREATE, "message", reminder),
        Case(
            "POST reminder message NaN",
            CREATE,
            INVALID,
            body={**reminder("x"), "message": float("nan")},
            names="message",
        ),
        Case(
            "POST reminder scheduled_for year 9999 with offset",
            CREATE,
            INVALID,
            body={**reminder("x"), "scheduled_for": "9999-12-31T23:59:59-14:00"},
            names="scheduled_for",
        ),
        Case(
            "POST reminder scheduled_for naive",
            CREATE,
            INVALID,
            body={**reminder("x"), "scheduled_for": "2026-11-03T09:00:00"},
            names="scheduled_for",
        ),
        Case(
            "POST reminder scheduled_for as 1e400",
            CREATE,
            INVALID,
            body=SCHEDULED_FOR_1E400,
            names="scheduled_for",
        ),
        Case(
            "POST reminder customer_id a 400-digit number",
            CREATE,
            INVALID,
            body={**reminder("x"), "customer_id": 10**400},
            names="customer_id",
        ),
        *bad_bodies(CREATE, reminder("fine")),
        without_token(CREATE),
        Case("GET another account's reminder", READ, NOT_FOUND, path=THEIRS, **B_UNCHANGED),
        Case(
            "GET reminder by a path that is no id",
            READ,
            INVALID,
            path={"reminder_id": "' OR 1=1 --"},
            names="reminder_id",
        ),
        Case("DELETE another account's reminder", CANCEL, NOT_FOUND, path=THEIRS, **B_UNCHANGED),
        Case(
            "complete another account's reminder", COMPLETE, NOT_FOUND, path=THEIRS, **B_UNCHANGED
        ),
        Case(
            "complete a reminder by an id with a NUL",
            COMPLETE,
            INVALID,
            path={"reminder_id": SOME_ID + NUL},
            names="reminder_id",
        ),
        Case(
            "snooze another account's reminder",
            SNOOZE,
            NOT_FOUND,
            path=THEIRS,
            body={"until": TOMORROW},
            **B_UNCHANGED,
        ),
        Case(
            "snooze until year 9999 with offset",
            SNOOZE,
            INVALID,
            path=MINE,
            body={"until": "9999-12-31T23:59:59-14:00"},
            names="until",
        ),
        Case(
            "snooze until year 1 with offset",
            SNOOZE,
            INVALID,
            path=MINE,
            body={"until": "0001-01-01T00:00:00+14:00"},
            names="until",
        ),
        *bad_text(SNOOZE, "until", lambda text: {"until": text}, path=MINE),
        *bad_bodies(SNOOZE, {"until": TOMORROW}, path=MINE),
    ]
)
