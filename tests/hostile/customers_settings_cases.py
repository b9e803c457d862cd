"""The hostile cases of the customers service's /api/settings (customers_cases.py holds them
with the service's others): a member's change, bad bodies and values, each bad field named."""

from __future__ import annotations

from .attack import INVALID, Case
from .families import NUL, bad_bodies, bad_text, forged_tokens, without_token

SETTINGS = "GET /api/settings"
CHANGE_SETTINGS = "PUT /api/settings"
ADMIN = {"auth": "admin:acme"}


def reminder_message(text: str) -> dict[str, object]:
    return {"reminders": {"follow_up_2h": {"message": text}}}


SETTINGS_CASES = [
    *forged_tokens(SETTINGS),
    without_token(SETTINGS),
    Case("GET settings with a NUL in the query", SETTINGS, {200}, query={"x": NUL}),
    without_token(CHANGE_SETTINGS, body={"dmo_targets": {"invites": 5}}),
    Case(
        "PUT settings as a member",
        CHANGE_SETTINGS,
        {403},
        body={"dmo_targets": {"invites": 5}},
    ),
    Case("PUT settings as a member, malformed", CHANGE_SETTINGS, {403}, body=b"{"),
    *bad_bodies(CHANGE_SETTINGS, {"dmo_targets": {"invites": 5}}, **ADMIN),
    *bad_text(CHANGE_SETTINGS, "message", reminder_message, **ADMIN),
    *bad_text(CHANGE_SETTINGS, "default_region", lambda t: {"default_region": t}, **ADMIN),
    *bad_text(CHANGE_SETTINGS, "time_zone", lambda t: {"time_zone": t}, **ADMIN),
    Case(
        "PUT settings targets NaN",
        CHANGE_SETTINGS,
        INVALID,
        body={"dmo_targets": {"invites": float("nan")}},
        names="invites",
        **ADMIN,
    ),
    Case(
        "PUT settings targets a 400-digit number",
        CHANGE_SETTINGS,
        INVALID,
        body={"dmo_targets": {"follow_ups": 10**400}},
        names="follow_ups",
        **ADMIN,
    ),
    Case(
        "PUT settings delay Infinity",
        CHANGE_SETTINGS,
        INVALID,
        body={"reminders": {"follow_up_1d": {"delay": float("inf")}}},
        names="reminders",
        **ADMIN,
    ),
    Case(
        "PUT settings delay of a million years",
        CHANGE_SETTINGS,
        INVALID,
        body={"reminders": {"follow_up_1d": {"delay": "P999999999D"}}},
        names="reminders",
        **ADMIN,
    ),
    Case(
        "PUT settings effective_from year 9999 with offset",
        CHANGE_SETTINGS,
        INVALID,
        body={"overdue_grace": "PT1H", "effective_from": "9999-12-31T23:59:59-14:00"},
        names="effective_from",
        **ADMIN,
    ),
    Case(
        "PUT settings effective_from naive",
        CHANGE_SETTINGS,
        INVALID,
        body={"overdue_grace": "PT1H", "effective_from": "2026-11-03T13:00:00"},
        names="effective_from",
        **ADMIN,
    ),
    Case(
        "PUT settings quiet hours of deep nesting",
        CHANGE_SETTINGS,
        INVALID,
        body={"quiet_hours": [[["22:00"]], "07:00"]},
        names="quiet_hours",
        **ADMIN,
    ),
    Case(
        "PUT settings an unknown reminder type",
        CHANGE_SETTINGS,
        INVALID,
        body={"reminders": {"custom": {"enabled": True}}},
        names="custom",
        **ADMIN,
    ),
]
