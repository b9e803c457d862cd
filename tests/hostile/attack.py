"""One hostile request and what the contract lets the service answer to it.

A `Case` names the route it attacks as the app's OpenAPI document names it, so each module can
check that every route of its service is attacked. Values that depend on data set up in the
module (account B's customer, reminder, ...) are written as "$name" placeholders and filled in
from the module's `World` when the request is sent.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from served_app import serving

from crm_servicekit.problems import PROBLEM_CONTENT_TYPE

JSON = "application/json"
NO_BODY: Any = object()
# What a body of the wrong shape or kind may get: malformed (400), too large (413), not JSON
# (415), invalid (422). The contract names the exact one where it is clear; cases say so.
REFUSED = frozenset({400, 413, 415, 422})
INVALID = frozenset({422})
UNAUTHENTICATED = frozenset({401})
NOT_FOUND = frozenset({404})
# Generous: a loaded CI machine is slow to take a 6 MiB body; speed is not checked here.
REQUEST_TIMEOUT_S = 60


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[httpx.Client]:
    """A client of the app, served for real by uvicorn (served_app.py) for one module."""
    with serving(app) as url, httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        yield client


@dataclass(frozen=True)
class Case:
    """A hostile request: `route` is "METHOD /template" of the OpenAPI document."""

    id: str
    route: str
    expect: frozenset[int]
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = NO_BODY  # JSON (NaN and Infinity written as such) or the raw bytes
    content_type: str | None = JSON
    auth: str | None = "acme"  # an account's token, a Forged kind (tokens.py), or None
    headers: Mapping[str, str] = field(default_factory=dict)
    names: str | None = None  # the field a 422 must name (in the loc of one of its errors)
    empty_items: bool = False  # a list of another account's things: 200 with no items
    other_account_unchanged: bool = False  # account B's data is read back unchanged after
    sign: Callable[[bytes], Mapping[str, str]] | None = None  # webhook headers for the body
    holds: Callable[[Any], bool] | None = None  # what a 2xx answer's JSON must show

    @property
    def method(self) -> str:
        return self.route.split(" ", 1)[0]

    @property
    def template(self) -> str:
        return self.route.split(" ", 1)[1]


@dataclass
class World:
    """What a module set up before the attacks: placeholder values, and how account B's data
    reads, with what it read before any attack (compared after each cross-account attack)."""

    values: dict[str, str] = field(default_factory=dict)
    read_b: Callable[[], Any] = field(default=lambda: None)
    b_snapshot: Any = None

    def remember_b(self, read_b: Callable[[], Any]) -> None:
        self.read_b = read_b
        self.b_snapshot = read_b()

    def fill(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$") and value[1:] in self.values:
            return self.values[value[1:]]
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        return value


def reads_as(
    client: httpx.Client, headers: Mapping[str, str], paths: Iterable[str]
) -> Callable[[], dict[str, Any]]:
    """A reader of what an account gets at these paths (each must answer 200)."""

    def read() -> dict[str, Any]:
        answers = {path: client.get(path, headers=dict(headers)) for path in paths}
        for path, answer in answers.items():
            assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
        return {path: answer.json() for path, answer in answers.items()}

    return read


def routes_of(openapi: Mapping[str, Any]) -> set[str]:
    """Every "METHOD /template" an app's OpenAPI document declares."""
    return {
        f"{method.upper()} {path}"
        for path, operations in openapi["paths"].items()
        for method in operations
    }


def internal_routes_of(app: FastAPI) -> set[str]:
    """Every "METHOD /template" of the app's internal routes, which no document shows."""
    return {
        f"{method} {route.path}"
        for route in iter_route_contexts(app.routes)
        if route.path is not None and route.path.startswith("/internal/")
        for method in route.methods or ()
    }


def _quoted(value: str) -> str:
    # Percent-encoded by hand: a lone surrogate has no UTF-8 form, so it goes out as the bytes
    # a careless client would send (surrogatepass), which is what the server must survive.
    return quote(value, safe="", errors="surrogatepass")


def query_string(query: Mapping[str, str]) -> str:
    return "&".join(f"{_quoted(name)}={_quoted(value)}" for name, value in query.items())


def body_bytes(body: Any) -> bytes | None:
    if body is NO_BODY:
        return None
    if isinstance(body, bytes):
        return body
    # ensure_ascii writes a lone surrogate as the escape "\ud800", as JSON allows.
    return json.dumps(body, allow_nan=True).encode()


def send(
    client: httpx.Client,
    case: Case,
    world: World,
    credentials: Callable[[str], Mapping[str, str]],
) -> tuple[int, Mapping[str, str], bytes]:
    """The case's request as sent to the served app: status, headers and body (a stream that
    was answered 200 is not read: it would not end)."""
    path = case.template.format(
        **{name: _quoted(world.fill(value)) for name, value in case.path.items()}
    )
    query = {name: world.fill(value) for name, value in case.query.items()}
    url = path + ("?" + query_string(query) if query else "")
    headers = dict(credentials(case.auth)) if case.auth is not None else {}
    if case.content_type is not None and case.body is not NO_BODY:
        headers["content-type"] = case.content_type
    content = body_bytes(world.fill(case.body))
    if case.sign is not None:
        headers.update(case.sign(content or b""))
    headers.update(case.headers)
    with client.stream(case.method, url, content=content, headers=headers) as response:
        streaming = response.headers.get("content-type", "").startswith("text/event-stream")
        raw = b"" if streaming and response.status_code == 200 else response.read()
        return response.status_code, response.headers, raw


def check(case: Case, status: int, headers: Mapping[str, str], raw: bytes) -> None:
    """The quality bar: never a 5xx, a status the contract allows, every error a problem
    naming the field, and a list of another account's things empty."""
    shown = raw[:600].decode(errors="replace")
    assert status < 500, f"{case.id}: {status} {shown}"
    assert status in case.expect, f"{case.id}: {status}, expected {sorted(case.expect)}: {shown}"
    if status >= 400:
        media_type = headers.get("content-type", "").split(";")[0].strip()
        assert media_type == PROBLEM_CONTENT_TYPE, f"{case.id}: {status} as {media_type!r}"
        problem = json.loads(raw)
        assert problem["status"] == status, problem
        assert problem["type"], problem
        assert problem["title"], problem
        if status == 422 and case.names is not None:
            locs = [[str(part) for part in e.get("loc", ())] for e in problem.get("errors", [])]
            assert any(case.names in loc for loc in locs), f"{case.id}: 422 names {locs}"
    if case.empty_items:
        assert json.loads(raw)["items"] == [], f"{case.id}: {shown}"
    if case.holds is not None and status < 300:
        assert case.holds(json.loads(raw)), f"{case.id}: {shown}"


def by_id(cases: Iterable[Case]) -> dict[str, Case]:
    table: dict[str, Case] = {}
    for case in cases:
        assert case.id not in table, f"two cases are called {case.id}"
        table[case.id] = case
    return table


def attack(
    client: httpx.Client,
    case: Case,
    world: World,
    credentials: Callable[[str], Mapping[str, str]],
) -> None:
    """Send the case, check the answer, and after a cross-account attack read account B's
    data back as B: unchanged."""
    check(case, *send(client, case, world, credentials))
    if case.other_account_unchanged:
        assert world.read_b() == world.b_snapshot, case.id
