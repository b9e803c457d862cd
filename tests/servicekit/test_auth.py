from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import jwt
import pytest

from crm_servicekit.auth import InvalidToken, mint_token, verify_token
from crm_servicekit.clock import FixedClock

from .sample_service import JWT_SECRET, SERVICE_TOKEN, T0, bearer, token_for

INVALID = "Invalid or expired token."


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def assert_unauthorized(response: httpx.Response, detail: str = INVALID) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert body["detail"] == detail
    assert body["type"].endswith("unauthorized")


async def test_valid_token_names_the_account_and_user(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/whoami", headers=bearer("acme", sub="maria"))
    assert response.status_code == 200
    assert response.json() == {"account_id": "acme", "user_id": "maria"}


async def test_missing_token(client: httpx.AsyncClient) -> None:
    assert_unauthorized(await client.get("/api/whoami"), "Missing bearer token.")


async def test_other_scheme_is_not_a_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/whoami", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert_unauthorized(response, "Missing bearer token.")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "Bearer", "eyJhbGciOi.x.y"])
async def test_malformed_token(client: httpx.AsyncClient, token: str) -> None:
    assert_unauthorized(
        await client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    )


async def test_expired_token(client: httpx.AsyncClient) -> None:
    # The app's clock reads T0 + 1 minute; this token expired at T0 - 1 hour + 1 hour = T0.
    token = mint_token(
        JWT_SECRET, "demo", "u", timedelta(hours=1), clock=FixedClock(T0 - timedelta(hours=1))
    )
    assert_unauthorized(
        await client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    )


async def test_alg_none_token(client: httpx.AsyncClient) -> None:
    claims = {"sub": "u", "account_id": "demo", "exp": int((T0 + timedelta(hours=1)).timestamp())}
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert_unauthorized(
        await client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    )


async def test_tampered_token(client: httpx.AsyncClient) -> None:
    header, _, signature = token_for("demo").split(".")
    claims = {"sub": "u", "account_id": "acme", "exp": int((T0 + timedelta(hours=9)).timestamp())}
    forged = f"{header}.{_b64(claims)}.{signature}"
    assert_unauthorized(
        await client.get("/api/whoami", headers={"Authorization": f"Bearer {forged}"})
    )


async def test_token_signed_with_another_secret(client: httpx.AsyncClient) -> None:
    token = mint_token(
        "another-secret-of-enough-length-123", "demo", "u", timedelta(hours=1), clock=FixedClock(T0)
    )
    assert_unauthorized(
        await client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    )


async def test_token_with_another_algorithm(client: httpx.AsyncClient) -> None:
    claims = {"sub": "u", "account_id": "demo", "exp": int((T0 + timedelta(hours=1)).timestamp())}
    token = jwt.encode(claims, JWT_SECRET + JWT_SECRET, algorithm="HS512")
    assert_unauthorized(
        await client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    )


async def test_account_not_in_the_accounts_file_looks_like_a_bad_token(
    client: httpx.AsyncClient,
) -> None:
    assert_unauthorized(await client.get("/api/whoami", headers=bearer("ghost")))


@pytest.mark.parametrize("missing", ["sub", "account_id", "exp"])
async def test_token_missing_a_required_claim(client: httpx.AsyncClient, missing: str) -> None:
    claims = {"sub": "u", "account_id": "demo", "exp": int((T0 + timedelta(hours=1)).timestamp())}
    del claims[missing]
    token = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    assert_unauthorized(
        await client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
    )


async def test_authentication_comes_before_body_checks(client: httpx.AsyncClient) -> None:
    # The order of checks (docs/architecture.md): 401 first, even before a malformed, invalid or
    # too large body.
    malformed = await client.post(
        "/api/things", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    invalid = await client.post("/api/things", json={"name": "", "count": -1})
    too_large = await client.post("/api/raw", content=b"x" * 10_000)
    for response in (malformed, invalid, too_large):
        assert_unauthorized(response, "Missing bearer token.")


async def test_internal_endpoint_takes_the_service_token(client: httpx.AsyncClient) -> None:
    ok = await client.get("/internal/ping", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert ok.status_code == 200
    assert ok.json() == {"status": "pong"}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "user-jwt"])
async def test_internal_endpoint_refuses_anything_else(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    if authorization == "user-jwt":
        headers = bearer("demo")
    else:
        headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/internal/ping", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expiry_is_judged_by_the_injected_clock() -> None:
    clock = FixedClock(T0)
    token = mint_token(JWT_SECRET, "demo", "u", timedelta(minutes=5), clock=clock)
    claims = verify_token(JWT_SECRET, token, clock=clock)
    assert (claims.sub, claims.account_id, claims.exp) == ("u", "demo", T0 + timedelta(minutes=5))
    clock.advance(timedelta(minutes=5))
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(JWT_SECRET, token, clock=clock)


def test_mint_refuses_a_non_positive_ttl() -> None:
    with pytest.raises(ValueError, match="ttl"):
        mint_token(JWT_SECRET, "demo", "u", timedelta(0))


def test_verify_refuses_non_string_claims() -> None:
    clock = FixedClock(T0)
    exp = int((T0 + timedelta(hours=1)).timestamp())
    token = jwt.encode({"sub": "u", "account_id": 42, "exp": exp}, JWT_SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken, match="account_id"):
        verify_token(JWT_SECRET, token, clock=clock)


def test_a_checked_token_is_still_refused_under_another_secret() -> None:
    # Signature checks are cached per (secret, token): a token once accepted is not accepted
    # by a service with another secret, nor after the same token is tampered with.
    clock = FixedClock(T0)
    token = mint_token(JWT_SECRET, "demo", "u", timedelta(minutes=5), clock=clock)
    assert verify_token(JWT_SECRET, token, clock=clock).sub == "u"
    with pytest.raises(InvalidToken, match="Signature"):
        verify_token(JWT_SECRET + "-other", token, clock=clock)
    header, payload, signature = token.split(".")
    with pytest.raises(InvalidToken):
        verify_token(JWT_SECRET, f"{header}.{payload}.{signature[:-2]}AA", clock=clock)
