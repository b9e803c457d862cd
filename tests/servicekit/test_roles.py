"""Roles in the token (docs/api.md, Roles): member by default, admin for the account's
settings; any other role is 401, and a member at an admin's route is 403 before the body is
judged."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import jwt
import pytest

from crm_servicekit.auth import Role, verify_token
from crm_servicekit.clock import FixedClock

from .sample_service import JWT_SECRET, T0, bearer, token_for

THING = {"name": "x", "count": 1}


def _token_with_claims(**claims: object) -> str:
    body = {"sub": "u", "account_id": "demo", "exp": int((T0 + timedelta(hours=1)).timestamp())}
    return jwt.encode({**body, **claims}, JWT_SECRET, algorithm="HS256")


def test_a_token_without_a_role_is_a_members() -> None:
    claims = verify_token(JWT_SECRET, _token_with_claims(), clock=FixedClock(T0))
    assert claims.role is Role.MEMBER


def test_minted_roles_are_read_back() -> None:
    for role in Role:
        claims = verify_token(JWT_SECRET, token_for(role=role), clock=FixedClock(T0))
        assert claims.role is role


async def test_an_admin_reaches_an_admins_route(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/admin-things", json=THING, headers=bearer(role=Role.ADMIN))
    assert response.status_code == 200
    assert response.json() == {"account_id": "demo", "role": "admin", "name": "x"}


async def test_a_member_is_forbidden_at_an_admins_route(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/admin-things", json=THING, headers=bearer())
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Only an admin of the account may do this."


@pytest.mark.parametrize(
    ("body", "content"),
    [({"name": ""}, None), (None, b'{"name": '), (None, b"not json")],
    ids=["invalid fields", "malformed JSON", "not JSON"],
)
async def test_a_members_bad_body_is_still_403(
    client: httpx.AsyncClient, body: object, content: bytes | None
) -> None:
    headers = {**bearer(), "content-type": "application/json"}
    if content is None:
        content = json.dumps(body).encode()
    response = await client.put("/api/admin-things", content=content, headers=headers)
    assert response.status_code == 403


async def test_no_token_at_an_admins_route_is_401(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/admin-things", content=b"not json")
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["owner", "ADMIN", "", 1, None, ["admin"]])
async def test_an_unknown_role_is_401(client: httpx.AsyncClient, role: object) -> None:
    token = _token_with_claims(role=role)
    for path in ("/api/whoami", "/api/admin-things"):
        method = client.get if path == "/api/whoami" else client.put
        kwargs = {} if path == "/api/whoami" else {"json": THING}
        response = await method(path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        assert response.status_code == 401, (path, role)


def test_a_forged_role_does_not_verify() -> None:
    header, payload, signature = token_for().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(Exception, match="Signature"):
        verify_token(JWT_SECRET, f"{header}.{forged}.{signature}", clock=FixedClock(T0))
