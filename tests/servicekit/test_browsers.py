"""Browsers (docs/api.md): CORS for the origins a deployment names, none by default; the
token as `access_token` on an event stream route only, since a browser's EventSource cannot
send headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from crm_servicekit.cors import ALLOWED_HEADERS

from .sample_service import bearer, sample_app, sample_settings, token_for

ALLOWED = "https://console.example.com"
OTHER = "https://evil.example.net"


@pytest.fixture
async def browser_client() -> AsyncIterator[httpx.AsyncClient]:
    app = sample_app(settings=sample_settings(cors_origins=f"{ALLOWED}, http://localhost:5173"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }


async def test_a_preflight_from_an_allowed_origin_is_answered(
    browser_client: httpx.AsyncClient,
) -> None:
    response = await browser_client.options("/api/things", headers=preflight(ALLOWED))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key"):
        assert header in allowed_headers
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_a_preflight_from_another_origin_gets_no_cors_headers(
    browser_client: httpx.AsyncClient,
) -> None:
    response = await browser_client.options("/api/things", headers=preflight(OTHER))
    assert "access-control-allow-origin" not in response.headers


async def test_answers_to_an_allowed_origin_carry_cors_headers_even_a_401(
    browser_client: httpx.AsyncClient,
) -> None:
    ok = await browser_client.get("/api/whoami", headers={**bearer(), "Origin": ALLOWED})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in ok.headers["access-control-expose-headers"].lower()
    refused = await browser_client.get("/api/whoami", headers={"Origin": ALLOWED})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ALLOWED
    other = await browser_client.get("/api/whoami", headers={**bearer(), "Origin": OTHER})
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers


async def test_no_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/whoami", headers={**bearer(), "Origin": ALLOWED})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight_answer = await client.options("/api/things", headers=preflight(ALLOWED))
    assert "access-control-allow-origin" not in preflight_answer.headers


@pytest.mark.parametrize(
    "origins", ["console.example.com", "https://console.example.com/app", "ftp://x.example"]
)
def test_a_setting_that_names_no_origin_is_refused(origins: str) -> None:
    with pytest.raises(ValidationError, match="cors_origins"):
        sample_settings(cors_origins=origins)


def test_the_allowed_headers_are_what_a_browser_client_sends() -> None:
    assert {"Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"} <= set(
        ALLOWED_HEADERS
    )


async def test_a_stream_route_takes_the_token_as_access_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/stream-things", params={"access_token": token_for()})
    assert response.status_code == 200
    assert response.json() == {"account_id": "demo"}
    by_header = await client.get("/api/stream-things", headers=bearer())
    assert by_header.json() == {"account_id": "demo"}


async def test_a_bad_access_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/stream-things", params={"access_token": "not-a-token"})
    assert response.status_code == 401
    missing = await client.get("/api/stream-things")
    assert missing.status_code == 401


async def test_any_other_route_ignores_access_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/whoami", params={"access_token": token_for()})
    assert response.status_code == 401
