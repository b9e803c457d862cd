"""Families of hostile cases every service's table draws from: forged list cursors, bad
limits and instants, NUL and lone surrogates in text, numbers JSON cannot carry, bodies that
lie about their type, nest too deep or are too large, and forged tokens.

Each family returns cases for one route; the service modules list the routes and what is
special to each (the fields of its bodies, its cursors' shape).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from .attack import INVALID, REFUSED, UNAUTHENTICATED, Case
from .tokens import FORGED

NUL = "\u0000"
LONE_SURROGATE = "\ud800"
SOME_ID = "6f1c1a5e-6c1b-4c2e-9a51-0b7c1f2d3e4a"
# A cursor's time and id in the forms a forger would try: PostgreSQL refuses a week date
# that Python reads; year 1 and year 9999 leave datetime's range once moved to UTC; a naive
# instant has no offset; an id with a NUL cannot be stored in text.
FORGED_MOMENTS = {
    "week-date": "2026-W45-1T09:00:00+00:00",
    "year-1-with-offset": "0001-01-01T00:00:00+14:00",
    "year-9999-with-offset": "9999-12-31T23:59:59-14:00",
    "naive": "2026-11-02T09:00:00",
}
# Instants a client may send as `as_of`, `from` or `to`; each is 422 naming the parameter.
# Python's datetime.fromisoformat stops reading at a NUL, so "…Z\0" parses unless refused.
BAD_INSTANTS = {
    "year-1-with-offset": "0001-01-01T00:00:00+01:00",
    "year-9999-with-offset": "9999-12-31T23:59:59-01:00",
    "naive": "2026-11-02T09:00:00",
    "nul": "2026-11-02T09:00:00Z" + NUL,
}
BAD_LIMITS = {"negative": "-1", "huge": "1" + "0" * 30, "not-a-number": "ten"}
DEEP_ARRAYS = b"[" * 10_000 + b"]" * 10_000
HUGE_BODY_BYTES = 6 * 1024 * 1024  # past every service's max_request_bytes (5 MiB)


def cursor_of(sort_key: Any) -> str:
    """A cursor as the services encode one (base64url JSON, unpadded), with any content."""
    text = json.dumps(sort_key, allow_nan=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def forged_cursors(
    route: str,
    key: Callable[[str, str], list[Any]],
    path: Mapping[str, str] | None = None,
    **query: str,
) -> list[Case]:
    """Cursors the service never issued: each is 422 naming `cursor` (API.md, Lists).
    `key(moment, id)` is the shape of the list's own sort key."""
    name = route.split(" ", 1)[1]
    cursors = {
        "garbage": "!!not base64!!",
        "not-json": base64.urlsafe_b64encode(b"not json").decode(),
        "wrong-shape": cursor_of({"after": 1}),
        "nul-in-id": cursor_of(key("2026-11-02T09:00:00+00:00", "evt" + NUL)),
        **{label: cursor_of(key(moment, SOME_ID)) for label, moment in FORGED_MOMENTS.items()},
    }
    return [
        Case(
            f"{name} cursor {label}",
            route,
            INVALID,
            path=dict(path or {}),
            query={**query, "cursor": cursor},
            names="cursor",
        )
        for label, cursor in cursors.items()
    ]


def bad_limits(route: str, path: Mapping[str, str] | None = None) -> list[Case]:
    name = route.split(" ", 1)[1]
    return [
        Case(f"{name} limit {label}", route, INVALID, path=dict(path or {}), query={"limit": v})
        for label, v in BAD_LIMITS.items()
    ]


def bad_instants(
    route: str, parameter: str, path: Mapping[str, str] | None = None, **query: str
) -> list[Case]:
    name = route.split(" ", 1)[1]
    return [
        Case(
            f"{name} {parameter} {label}",
            route,
            INVALID,
            path=dict(path or {}),
            query={**query, parameter: value},
            names=parameter,
        )
        for label, value in BAD_INSTANTS.items()
    ]


def bad_text(
    route: str,
    field: str,
    body: Callable[[str], Any],
    path: Mapping[str, str] | None = None,
    **options: Any,
) -> list[Case]:
    """A NUL and a lone surrogate in one text field of a body: 422 naming that field."""
    name = route.split(" ", 1)[1]
    return [
        Case(
            f"{route.split()[0]} {name} {field} {label}",
            route,
            INVALID,
            path=dict(path or {}),
            body=body(text),
            names=field,
            **options,
        )
        for label, text in {"nul": f"Hi{NUL}there", "lone-surrogate": f"Hi{LONE_SURROGATE}"}.items()
    ]


def bad_query_text(
    route: str, parameter: str, path: Mapping[str, str] | None = None, **query: str
) -> list[Case]:
    """A NUL in a text query parameter: 422 naming it. A lone surrogate cannot reach the app
    as one (the query's bytes are not UTF-8, so they are read as U+FFFD), so it must simply
    not break anything: refused, or answered as a search for the replacement characters."""
    name = route.split(" ", 1)[1]
    return [
        Case(
            f"{name} {parameter} nul",
            route,
            INVALID,
            path=dict(path or {}),
            query={**query, parameter: f"ada{NUL}"},
            names=parameter,
        ),
        Case(
            f"{name} {parameter} lone-surrogate",
            route,
            INVALID | {200},
            path=dict(path or {}),
            query={**query, parameter: f"ada{LONE_SURROGATE}"},
        ),
    ]


def bad_bodies(
    route: str, valid: Any, path: Mapping[str, str] | None = None, **options: Any
) -> list[Case]:
    """A body route's hostile bodies, the valid body as the base of the lies about its type."""
    name = f"{route.split()[0]} {route.split(' ', 1)[1]}"
    text = json.dumps(valid)
    latin1 = json.dumps({**valid, "nöte": "é"}, ensure_ascii=False).encode("latin-1")
    at = dict(path or {})
    form = "&".join(f"{key}=x" for key in valid) or "a=x"
    cases = {
        # 10,000 nested arrays: a recursive parser overflows its stack.
        "nested-10000-deep": (DEEP_ARRAYS, "application/json", REFUSED),
        "huge": (b'{"x": "' + b"a" * HUGE_BODY_BYTES + b'"}', "application/json", {413}),
        "malformed-json": (text[:-1].encode(), "application/json", {400}),
        # Not JSON by its label: JSON is all these routes take (API.md, Conventions).
        "json-as-text-plain": (text.encode(), "text/plain", {415, 422}),
        "form-body": (form.encode(), "application/x-www-form-urlencoded", {400, 415, 422}),
        # JSON is UTF-8 (RFC 8259); Latin-1 bytes under a UTF-8 label are not JSON text.
        "latin-1-as-utf-8": (latin1, "application/json; charset=utf-8", {400, 415, 422}),
    }
    return [
        Case(
            f"{name} {label}",
            route,
            frozenset(expect),
            path=at,
            body=raw,
            content_type=ctype,
            **options,
        )
        for label, (raw, ctype, expect) in cases.items()
    ]


def forged_tokens(route: str, path: Mapping[str, str] | None = None, **options: Any) -> list[Case]:
    """Every forged kind of token (tokens.py) on one route: 401."""
    name = route.split(" ", 1)[1]
    return [
        Case(
            f"{name} token {kind}",
            route,
            UNAUTHENTICATED,
            path=dict(path or {}),
            auth=kind,
            **options,
        )
        for kind in FORGED
    ]


def without_token(route: str, path: Mapping[str, str] | None = None, **options: Any) -> Case:
    name = f"{route.split()[0]} {route.split(' ', 1)[1]}"
    return Case(
        f"{name} without a token",
        route,
        UNAUTHENTICATED,
        path=dict(path or {}),
        auth=None,
        **options,
    )
