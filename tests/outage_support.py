"""PostgreSQL outages of a served service, through tests/tcp_proxy.py (test support).

A test serves a real service app whose PostgreSQL is reached through a proxy
(`served_behind_proxy`), then `outage_and_recovery` checks what each of a few routes answers
while PostgreSQL is up, down (`refuse()`), and up again: normally, then 503 problem details
with Retry-After naming postgres (never a 500), then normally again once the service noticed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from fastapi import FastAPI
from served_app import ModuleServers, serving
from tcp_proxy import TcpProxy, tcp_proxy

from crm_servicekit.problems import PROBLEM_CONTENT_TYPE

# How long a service may take to notice PostgreSQL is back (its pool reconnects on demand).
RECOVERY_TIMEOUT_S = 60.0
_POLL_INTERVAL_S = 0.2


def through_proxy(dsn: str, proxy: TcpProxy) -> str:
    """The DSN with the proxy's address in place of the server's."""
    parts = urlsplit(dsn)
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@{proxy.address}" if user else proxy.address
    return urlunsplit(parts._replace(netloc=netloc))


@contextlib.contextmanager
def postgres_proxy(dsn: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy in front of the PostgreSQL of `dsn`, and the DSN that goes through it."""
    parts = urlsplit(dsn)
    assert parts.hostname is not None
    with tcp_proxy(parts.hostname, parts.port or 5432) as proxy:
        yield proxy, through_proxy(dsn, proxy)


@contextlib.contextmanager
def served_behind_proxy(
    servers: ModuleServers, build: Callable[[ModuleServers], FastAPI]
) -> Iterator[tuple[TcpProxy, str]]:
    """The app `build` makes from `servers`, served with its PostgreSQL behind a proxy; yields
    the proxy and the app's base URL."""
    with (
        postgres_proxy(servers.database_url) as (proxy, dsn),
        serving(build(dataclasses.replace(servers, database_url=dsn))) as url,
    ):
        yield proxy, url


@dataclass(frozen=True)
class Probe:
    """One request to a route, and the statuses that mean it was answered normally."""

    method: str
    path: str
    ok: frozenset[int] = frozenset({200})
    json: Any = None
    params: Mapping[str, str] = field(default_factory=dict)
    # A request body made anew for each send (e.g. a fresh event id); overrides `json`.
    body: Callable[[], Any] | None = None

    def send(self, client: httpx.Client) -> httpx.Response:
        payload = self.body() if self.body is not None else self.json
        return client.request(self.method, self.path, json=payload, params=self.params)


def assert_postgres_unavailable(response: httpx.Response) -> None:
    """503 problem details, with Retry-After, naming postgres."""
    request = f"{response.request.method} {response.request.url.path}"
    assert response.status_code == 503, f"{request}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE), request
    assert int(response.headers["retry-after"]) >= 1, request
    body = response.json()
    assert body["status"] == 503, request
    assert body["dependency"] == "postgres", f"{request}: {body}"


def answered_normally(
    client: httpx.Client, probe: Probe, within_s: float = RECOVERY_TIMEOUT_S
) -> httpx.Response:
    """Send the probe until it is answered normally; a 503 meanwhile is the outage being
    noticed as over, anything else fails at once."""
    deadline = time.monotonic() + within_s
    while True:
        response = probe.send(client)
        if response.status_code in probe.ok:
            return response
        assert response.status_code == 503, (
            f"{probe.method} {probe.path}: {response.status_code} {response.text}"
        )
        assert_postgres_unavailable(response)
        assert time.monotonic() < deadline, f"{probe.method} {probe.path} still 503"
        time.sleep(_POLL_INTERVAL_S)


def outage_and_recovery(
    proxy: TcpProxy, base_url: str, headers: Mapping[str, str], probes: Sequence[Probe]
) -> None:
    """Every probe answered normally, then 503 naming postgres while it is down, then
    normally again once it is back."""
    with httpx.Client(base_url=base_url, headers=dict(headers), timeout=120) as client:
        for probe in probes:
            answered_normally(client, probe)
        proxy.refuse()
        try:
            for probe in probes:
                assert_postgres_unavailable(probe.send(client))
        finally:
            proxy.restore()
        for probe in probes:
            answered_normally(client, probe)
